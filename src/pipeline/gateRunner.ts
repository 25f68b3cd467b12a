// Runs the three gates on one attempt. The judges run only when the deterministic gate passed:
// paying an LLM to judge a delta that is already refused is spend without a decision.
import path from "node:path";
import type { SpawnKeeper } from "./spawnKeeper.js";
import { runDeterministicGate } from "../gates/index.js";
import { runReviewGate } from "../gates/index.js";
import { runSemanticGate } from "../gates/index.js";
import type { GateName, GateResult } from "../gates/index.js";
import type { AttemptRecord, PipelineEnv, ResolvedTarget } from "./context.js";
import { writeBaseLayer, type Delta } from "../engine/index.js";

export async function runGates(input: {
  env: PipelineEnv;
  target: ResolvedTarget;
  keeper: SpawnKeeper;
  attempt: AttemptRecord;
  signal: AbortSignal;
  onPhase?: (gate: GateName) => Promise<void>;
  /** What the judges see when it differs from the attempt's delta (a revision: the PR's whole change). */
  judgeDelta?: Delta;
}): Promise<GateResult[]> {
  const { env, target, keeper, attempt, signal } = input;
  await input.onPhase?.("deterministic");
  const deterministic = await runDeterministicGate({
    delta: attempt.delta,
    baseline: keeper.baseline,
    spawnDir: keeper.spawn.dir,
    baselineDir: () => keeper.baselineDir(signal),
    baseLayer: (layerDir) => writeBaseLayer({ spawn: keeper.spawn, baseline: keeper.baseline, delta: attempt.delta, layerDir, engine: env.engine }),
    config: env.config,
    sandbox: env.sandbox,
    guardViolations: attempt.violations,
    cache: env.baselineCache,
    signal,
    scratchDir: path.join(env.paths.scratchRoot, keeper.spawn.jobId.replace(/[^A-Za-z0-9_.-]/g, "_"), `gates-${attempt.attempt}`),
  });
  // Every job report says when commands ran without OS isolation (issue 14).
  if (env.sandbox.fallbackReason)
    deterministic.notes = [
      ...(deterministic.notes ?? []),
      `Sandbox warning: repository commands ran without bubblewrap isolation (${env.sandbox.fallbackReason}).`,
    ];
  env.onGate?.(deterministic);
  if (deterministic.status !== "pass") {
    const skipped = (gate: GateName): GateResult => ({
      gate,
      status: "skipped",
      summary: "Not run: the deterministic gate did not pass, so this change cannot be accepted as it is.",
      reasons: [],
      durationMs: 0,
    });
    return [deterministic, skipped("semantic"), skipped("review")];
  }
  await input.onPhase?.("semantic");
  const judgeInput = {
    issue: target.issue,
    delta: input.judgeDelta ?? attempt.delta,
    llm: env.judge,
    config: env.config,
    agentModel: env.agentModel,
    signal,
    ...(deterministic.testFlags?.length ? { testFlags: deterministic.testFlags } : {}),
  };
  const [semantic, review] = await Promise.all([runSemanticGate(judgeInput), runReviewGate(judgeInput)]);
  env.onGate?.(semantic);
  env.onGate?.(review);
  return [deterministic, semantic, review];
}
