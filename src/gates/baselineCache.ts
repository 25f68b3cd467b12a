// Results of the repository's commands on the baseline, kept per base commit and command list: every
// attempt (and every job on the same base) compares against the same run instead of paying for it again.
import { createHash } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import type { TestOutcome } from "./testresults/types.js";

export interface CommandOutcome {
  exitCode: number | null;
  timedOut: boolean;
  durationMs: number;
  outputTail: string;
  /** Per-test outcomes, when the command's results could be parsed. */
  tests?: Record<string, TestOutcome>;
  /** Why per-test results are absent or partial. */
  testsNote?: string;
  /** The command did not really run (program or module missing, runner reported nothing): no verdict from it. */
  cannotRun?: { reason: string; hint: string };
  /** Stopped by the sandbox's memory cap. */
  memoryExceeded?: boolean;
}

export interface BaselineRun {
  commands: CommandOutcome[];
  recordedAt: string;
}

export interface BaselineResultCache {
  get(key: string): Promise<BaselineRun | undefined>;
  set(key: string, run: BaselineRun): Promise<void>;
}

/** What makes two baseline runs interchangeable: the commit, the setup, the commands, network and toolchain. */
export function baselineCacheKey(parts: { baseSha: string; setup: string[]; commands: string[]; network: string; toolchain?: string }): string {
  return createHash("sha256").update(JSON.stringify(parts)).digest("hex");
}

export function createMemoryBaselineCache(): BaselineResultCache {
  const runs = new Map<string, BaselineRun>();
  return {
    async get(key) {
      return runs.get(key);
    },
    async set(key, run) {
      runs.set(key, run);
    },
  };
}

const outcomeSchema = z.object({
  exitCode: z.number().int().nullable(),
  timedOut: z.boolean(),
  durationMs: z.number(),
  outputTail: z.string(),
  tests: z.record(z.string(), z.enum(["pass", "fail", "skip"])).optional(),
  testsNote: z.string().optional(),
  cannotRun: z.object({ reason: z.string(), hint: z.string() }).optional(),
  memoryExceeded: z.boolean().optional(),
});
const runSchema = z.object({ commands: z.array(outcomeSchema), recordedAt: z.string() });

/** One JSON file per key under `dir`; a corrupt or foreign file reads as a miss, never as a result. */
export function createBaselineCache(dir: string): BaselineResultCache {
  const fileOf = (key: string) => path.join(dir, `${key.replace(/[^a-f0-9]/gi, "_")}.json`);
  return {
    async get(key) {
      try {
        const parsed = runSchema.safeParse(JSON.parse(await readFile(fileOf(key), "utf8")));
        return parsed.success ? parsed.data : undefined;
      } catch {
        return undefined;
      }
    },
    async set(key, run) {
      await mkdir(dir, { recursive: true });
      // Write then rename so a concurrent reader never sees half a file.
      const temporary = `${fileOf(key)}.${process.pid}.${Date.now()}.tmp`;
      await writeFile(temporary, JSON.stringify(run));
      await rename(temporary, fileOf(key));
    },
  };
}
