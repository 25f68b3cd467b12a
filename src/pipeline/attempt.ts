// One agent attempt in the job's spawn, and the keeper that makes the spawn survive a resume:
// after a crash the spawn is re-materialized at the pinned commit and the last delta re-applied.
import { mkdir, rm } from "node:fs/promises";
import path from "node:path";
import { buildPrompt, readRepoInstructions } from "../agents/index.js";
import type { JobContext } from "../jobs/index.js";
import type { SpendMeter } from "../llm/index.js";
import { computeDelta } from "../engine/index.js";
import { checkGuards, inspectSpawnIntegrity, readBaselineLinks } from "../engine/index.js";
import type { AttemptRecord, PipelineEnv, ResolvedTarget } from "./context.js";
import type { SpawnKeeper } from "./spawnKeeper.js";

export async function prepareAttempt(input: {
  ctx: JobContext;
  env: PipelineEnv;
  keeper: SpawnKeeper;
  target: ResolvedTarget;
  attempt: number;
  repairReports: string[];
  previous?: AttemptRecord;
  /** The job's spend meter: the agent's usage is recorded there once, when the attempt really runs. */
  meter?: SpendMeter;
}): Promise<AttemptRecord> {
  const { ctx, env, keeper, target, attempt } = input;
  const { config } = env;
  await keeper.ensure(input.previous?.delta, ctx.signal);
  const { spawn, baseline } = keeper;

  const scratchDir = path.join(env.paths.scratchRoot, safe(ctx.job.id), `attempt-${attempt}`);
  await rm(scratchDir, { recursive: true, force: true });
  await mkdir(scratchDir, { recursive: true });

  const repoInstructions = await readRepoInstructions(spawn.dir);
  const { spec } = ctx.job;
  const isRevision = spec.trigger === "revise" || spec.trigger === "review";
  const extra = [config.agent.instructions, env.instructions, isRevision ? undefined : spec.instructions].filter(Boolean).join("\n\n");
  const { prompt, trimmed } = buildPrompt({
    repo: ctx.job.spec.repo,
    issue: target.issue,
    repoInstructions,
    extraInstructions: extra || undefined,
    revision: isRevision ? { instructions: spec.instructions } : undefined,
    repairReports: input.repairReports,
  });

  const agent = env.createAgent(config, input.meter);
  const timeoutMs = config.agent.timeoutMinutes * 60_000;
  const run = await agent.run({ spawnDir: spawn.dir, prompt, scratchDir, timeoutMs, signal: ctx.signal });
  // What a command agent's CLI printed (or an agent without a meter) counts too.
  if (!run.usageMetered) input.meter?.record(run.usage);

  const delta = await computeDelta(spawn, baseline, { toolFiles: config.agent.toolFiles, engine: env.engine });
  const limits = { ...config.limits, denyPaths: config.denyPaths };
  const violations = [...checkGuards(delta, baseline, limits, await readBaselineLinks(spawn.dir, baseline)), ...(await inspectSpawnIntegrity(spawn))].map(
    (v) => ({
      code: v.code,
      message: v.message,
      paths: v.paths,
    }),
  );
  return { attempt, agent: run, delta, violations, prompt: { trimmed } };
}

function safe(id: string): string {
  return id.replace(/[^A-Za-z0-9_.-]/g, "_");
}
