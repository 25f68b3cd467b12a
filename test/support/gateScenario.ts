// A baseline checkout and a spawn where the "agent" wrote `changes`, plus the delta between them, ready for
// runDeterministicGate with a real sandbox: for tests of what the gate's commands can and cannot reach.
import { existsSync } from "node:fs";
import { cp, mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createMemoryBaselineCache, type BaselineResultCache } from "../../src/gates/deterministic.js";
import type { Sandbox } from "../../src/sandbox/index.js";
import { buildDelta } from "../fixtures/cheats/buildDelta.js";
import { gateConfig } from "../fixtures/cheats/gateConfig.js";

export const regressionFixtures = fileURLToPath(new URL("../fixtures/regression-repos/", import.meta.url));

let counter = 0;

/** `fixture` names a directory of test/fixtures/regression-repos ("" for none); `extra` is written on both sides. */
export async function gateScenario(root: string, sandbox: Sandbox, fixture: string, extra: Record<string, string>, changes: Record<string, string>) {
  const dir = path.join(root, `${fixture || "repo"}-${++counter}`);
  const baselineDir = path.join(dir, "baseline");
  const spawnDir = path.join(dir, "spawn");
  for (const target of [baselineDir, spawnDir]) {
    if (fixture) await cp(path.join(regressionFixtures, fixture), target, { recursive: true });
    else await mkdir(target, { recursive: true });
    for (const [file, content] of Object.entries(extra)) {
      await mkdir(path.dirname(path.join(target, file)), { recursive: true });
      await writeFile(path.join(target, file), content);
    }
  }
  const before: Record<string, string> = {};
  for (const file of Object.keys(changes)) if (existsSync(path.join(baselineDir, file))) before[file] = await readFile(path.join(baselineDir, file), "utf8");
  for (const [file, content] of Object.entries(changes)) await writeFile(path.join(spawnDir, file), content);
  const baseSha = `${fixture || "repo"}-${counter}`.padEnd(40, "0");
  return {
    dir,
    spawnDir,
    baselineDir,
    input: (config = gateConfig(), cache: BaselineResultCache = createMemoryBaselineCache()) => ({
      delta: buildDelta(before, changes),
      baseline: { baseSha, files: {} },
      spawnDir,
      baselineDir: async () => baselineDir,
      config,
      sandbox,
      guardViolations: [],
      cache,
      scratchDir: path.join(dir, "scratch"),
    }),
  };
}
