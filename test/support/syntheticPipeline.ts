// A stand-in for the real pipeline in crash tests: six steps, each leaving a recorded side effect in a file
// (like pushing a branch or opening a PR), with an optional planned hang where the test kills the worker.
import { appendFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { JobHandler } from "../../src/jobs/types.js";

export const PIPELINE_STEPS = ["spawn", "agent", "gates", "absorb", "push", "pr"] as const;
export type PipelineStep = (typeof PIPELINE_STEPS)[number];

/** Where to hang on the first claim: inside `step`, before or after its side effect. Carried in spec.instructions. */
export interface CrashPlan {
  step: PipelineStep;
  phase: "before" | "after";
}

export interface SyntheticPaths {
  /** Every start of a step: "run <key> <step>" (a step re-run after a crash shows twice). */
  runsFile: string;
  /** Every side effect: "effect <key> <step>" (must show at most once per job and step). */
  effectsFile: string;
  /** The handler writes `<dir>/crash-<issue>` when it reached its planned hang. */
  markerDir: string;
}

export function syntheticPaths(dir: string): SyntheticPaths {
  return { runsFile: path.join(dir, "runs.log"), effectsFile: path.join(dir, "effects.log"), markerDir: dir };
}

export function readLines(file: string): string[] {
  return existsSync(file) ? readFileSync(file, "utf8").split("\n").filter(Boolean) : [];
}

export function syntheticPipeline(paths: SyntheticPaths, stepDelayMs = 0): JobHandler {
  return async (ctx) => {
    const plan = ctx.job.spec.instructions ? (JSON.parse(ctx.job.spec.instructions) as CrashPlan) : undefined;
    const key = ctx.job.key;
    const hangIfPlanned = async (step: PipelineStep, phase: CrashPlan["phase"]) => {
      if (plan?.step !== step || plan.phase !== phase || ctx.job.claims !== 1) return;
      writeFileSync(path.join(paths.markerDir, `crash-${ctx.job.spec.issueNumber}`), `${step}:${phase}`);
      // Waits for SIGKILL (or a cancel/shutdown through the signal); bounded so a test that forgets still ends.
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, 60_000);
        ctx.signal.addEventListener("abort", () => (clearTimeout(timer), reject(ctx.signal.reason)), { once: true });
      });
      throw new Error("the planned crash never came");
    };
    let prNumber = 0;
    for (const step of PIPELINE_STEPS) {
      const out = await ctx.step(step, async () => {
        appendFileSync(paths.runsFile, `run ${key} ${step}\n`);
        await hangIfPlanned(step, "before");
        if (stepDelayMs) await new Promise((r) => setTimeout(r, stepDelayMs));
        const effect = `effect ${key} ${step}`;
        // Pushing and opening a PR look for their own earlier result first, like finding the PR by head branch.
        const idempotent = step === "push" || step === "pr";
        if (!(idempotent && readLines(paths.effectsFile).includes(effect))) appendFileSync(paths.effectsFile, `${effect}\n`);
        await hangIfPlanned(step, "after");
        return { step, prNumber: step === "pr" ? 1000 + ctx.job.spec.issueNumber : undefined };
      });
      if (out.prNumber) prNumber = out.prNumber;
    }
    return { kind: "pr-opened", message: `opened #${prNumber}`, prNumber };
  };
}
