// The deterministic gate over the cheat and honest corpora: every cheap path to green is blocked with
// the check that names it; every honest fix passes the built-in checks.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gateConfig } from "../fixtures/cheats/gateConfig.js";
import { createMemoryBaselineCache, noChecksNote, runDeterministicGate } from "../../src/gates/deterministic.js";
import { createSandbox } from "../../src/sandbox/index.js";
import type { Sandbox } from "../../src/sandbox/types.js";
import { buildDelta, type DeltaCase } from "../fixtures/cheats/buildDelta.js";
import { cheats } from "../fixtures/cheats/corpus.js";
import { honest } from "../fixtures/honest/corpus.js";

let emptySpawn: string;
let sandbox: Sandbox;

beforeAll(async () => {
  // No manifest in the spawn: only the built-in checks decide, which is what the corpora are about.
  emptySpawn = await mkdtemp(path.join(tmpdir(), "gate-corpus-"));
  sandbox = await createSandbox({ mode: "off" });
});
afterAll(async () => {
  await rm(emptySpawn, { recursive: true, force: true });
});

async function gate(testCase: DeltaCase) {
  const delta = buildDelta(testCase.before, testCase.after);
  return runDeterministicGate({
    delta,
    baseline: { baseSha: delta.baseSha, files: {} },
    spawnDir: emptySpawn,
    // The corpora hold deltas only; neither side has a manifest on disk, so no command is detected.
    baselineDir: async () => emptySpawn,
    config: gateConfig(),
    sandbox,
    guardViolations: [],
    cache: createMemoryBaselineCache(),
    scratchDir: path.join(emptySpawn, "..", `${path.basename(emptySpawn)}-scratch`),
  });
}

describe("cheating deltas", () => {
  it("the corpus holds at least 15 cheats", () => {
    expect(cheats.length).toBeGreaterThanOrEqual(15);
  });

  it.each(cheats.map((c) => [c.name, c] as const))("blocks a delta that %s", async (_name, cheat) => {
    const result = await gate(cheat);
    expect(result.status).toBe("fail");
    expect(result.summary).toContain(cheat.blockedBy);
    expect(result.reasons.join("\n")).not.toBe("");
  });
});

describe("honest fixes", () => {
  it("the corpus holds at least 10 honest fixes", () => {
    expect(honest.length).toBeGreaterThanOrEqual(10);
  });

  it.each(honest.map((h) => [h.name, h] as const))("passes a delta that %s", async (_name, fix) => {
    const result = await gate(fix);
    expect(result.reasons).toEqual([]);
    expect(result.status).toBe("pass");
    // With no command in the repository the pass must say so plainly.
    expect(result.notes).toContain(noChecksNote);
    expect(result.summary).toMatch(/^No checks ran/);
  });
});

describe("engine guard violations", () => {
  it("fail the gate even when the delta itself looks clean", async () => {
    const delta = buildDelta(honest[0]!.before, honest[0]!.after);
    const result = await runDeterministicGate({
      delta,
      baseline: { baseSha: delta.baseSha, files: {} },
      spawnDir: emptySpawn,
      baselineDir: async () => emptySpawn,
      config: gateConfig(),
      sandbox,
      guardViolations: [{ code: "GUARD_DENY_PATH", message: "The agent wrote .github/workflows/x.yml, a denied path.", paths: [".github/workflows/x.yml"] }],
      cache: createMemoryBaselineCache(),
      scratchDir: path.join(emptySpawn, "scratch"),
    });
    expect(result.status).toBe("fail");
    expect(result.reasons).toContain("The agent wrote .github/workflows/x.yml, a denied path.");
  });
});
