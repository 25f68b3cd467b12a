// One agent attempt in the job's spawn, and the keeper that makes the spawn survive a resume:
// after a crash the spawn is re-materialized at the pinned commit and the last delta re-applied.
import { mkdir, rm } from "node:fs/promises";
import path from "node:path";
import { buildPrompt, readRepoInstructions } from "../agents/index.js";
import type { AgentRun } from "../agents/index.js";
import type { JobContext } from "../jobs/index.js";
import { recordBaseline } from "../engine/index.js";
import { computeDelta } from "../engine/index.js";
import { checkGuards, inspectSpawnIntegrity } from "../engine/index.js";
import type { PipelineEnv, ResolvedTarget } from "./run.js";
import { applyDelta, assertSpawn, materialize, removeSpawn } from "../engine/index.js";
import type { Baseline, Delta, RepoSource, Spawn } from "../engine/index.js";

export interface SpawnRecord {
  spawn: Spawn;
  baseline: Baseline;
}

export interface ViolationRecord {
  code: string;
  message: string;
  paths?: string[];
}

export interface AttemptRecord {
  attempt: number;
  agent: AgentRun;
  delta: Delta;
  violations: ViolationRecord[];
  prompt: { trimmed: string[] };
}

type Paths = PipelineEnv["paths"];

export class SpawnKeeper {
  private verified: boolean;
  private baselineSpawn?: Spawn;

  static async create(jobId: string, source: RepoSource, baseRef: string, paths: Paths, signal: AbortSignal): Promise<SpawnRecord> {
    const spawn = await materialize({ jobId, source, baseRef, workRoot: paths.workRoot, cacheRoot: paths.cacheRoot, signal });
    return { spawn, baseline: await recordBaseline(spawn) };
  }

  constructor(
    readonly record: SpawnRecord,
    private readonly source: RepoSource,
    private readonly paths: Paths,
    resumed: boolean,
  ) {
    this.verified = !resumed;
  }

  get spawn(): Spawn {
    return this.record.spawn;
  }

  get baseline(): Baseline {
    return this.record.baseline;
  }

  /**
   * Make sure the spawn holds exactly `delta` on top of the pinned commit. A fresh run trusts its
   * spawn; a resumed one rebuilds it, because the crash may have left an agent's half-done edits.
   */
  async ensure(delta: Delta | undefined, signal: AbortSignal): Promise<void> {
    if (this.verified) {
      try {
        await assertSpawn(this.spawn);
        return;
      } catch {
        // Missing or altered spawn: rebuild below.
      }
    }
    const { spawn } = this.record;
    await materialize({ jobId: spawn.jobId, source: this.source, baseRef: spawn.baseSha, workRoot: this.paths.workRoot, cacheRoot: this.paths.cacheRoot, signal });
    // Re-record the stat snapshot the delta relies on, then re-apply the change.
    await recordBaseline(spawn);
    if (delta) await applyDelta(delta, spawn.dir);
    this.verified = true;
  }

  /** A second, read-only-by-convention spawn of the pinned commit, for running checks on the baseline. */
  async baselineDir(signal: AbortSignal): Promise<string> {
    if (!this.baselineSpawn) {
      const { spawn } = this.record;
      this.baselineSpawn = await materialize({
        jobId: `${spawn.jobId}--baseline`,
        source: this.source,
        baseRef: spawn.baseSha,
        workRoot: this.paths.workRoot,
        cacheRoot: this.paths.cacheRoot,
        signal,
      });
    }
    return this.baselineSpawn.dir;
  }

  async remove(): Promise<void> {
    await removeSpawn(this.spawn);
    if (this.baselineSpawn) await removeSpawn(this.baselineSpawn);
  }
}

export async function prepareAttempt(input: {
  ctx: JobContext;
  env: PipelineEnv;
  keeper: SpawnKeeper;
  target: ResolvedTarget;
  attempt: number;
  repairReports: string[];
  previous?: AttemptRecord;
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

  const agent = env.createAgent(config);
  const timeoutMs = config.agent.timeoutMinutes * 60_000;
  const run = await agent.run({ spawnDir: spawn.dir, prompt, scratchDir, timeoutMs, signal: ctx.signal });

  const delta = await computeDelta(spawn, baseline, { toolFiles: config.agent.toolFiles });
  const limits = { ...config.limits, denyPaths: config.denyPaths };
  const violations = [...checkGuards(delta, baseline, limits), ...(await inspectSpawnIntegrity(spawn))].map((v) => ({
    code: v.code,
    message: v.message,
    paths: v.paths,
  }));
  return { attempt, agent: run, delta, violations, prompt: { trimmed } };
}

function safe(id: string): string {
  return id.replace(/[^A-Za-z0-9_.-]/g, "_");
}
