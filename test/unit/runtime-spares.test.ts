// Spare checkouts belong to a long-lived worker's runtime: a one-shot run (`autofix run`) never builds one.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { createRuntime } from "../../src/runtime.js";
import { loadSettings } from "../../src/settings.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function runtimeWith(env: Record<string, string>, oneShot?: boolean) {
  const dataDir = mkdtempSync(path.join(tmpdir(), "autofix-runtime-spares-"));
  dirs.push(dataDir);
  return createRuntime(loadSettings({ AUTOFIX_DATA_DIR: dataDir, ...env }), pino({ level: "silent" }), { oneShot });
}

describe("who owns spare checkouts", () => {
  it("a long-lived runtime owns its own registry, a one-shot run and an operator who turned them off have none", async () => {
    const worker = await runtimeWith({});
    const other = await runtimeWith({});
    const cli = await runtimeWith({}, true);
    const off = await runtimeWith({ AUTOFIX_SPARE_CHECKOUTS: "off" });
    expect(worker.spares).toBeDefined();
    expect(other.spares).toBeDefined();
    expect(worker.spares).not.toBe(other.spares);
    expect(cli.spares).toBeUndefined();
    expect(off.spares).toBeUndefined();
    expect(worker.envFor({ kind: "local" } as never, { agent: { preset: "command" } } as never).spares).toBe(worker.spares);
    for (const r of [worker, other, cli, off]) await r.close();
  });

  it("each runtime hands its jobs its own git engine, and closing one runtime stops only its engine's helper thread", async () => {
    const one = await runtimeWith({});
    const two = await runtimeWith({});
    const envOf = (r: typeof one) => r.envFor({ kind: "local" } as never, { agent: { preset: "command" } } as never);
    const engineOne = envOf(one).engine!;
    const engineTwo = envOf(two).engine!;
    expect(engineOne).toBeDefined();
    expect(engineOne).not.toBe(engineTwo);
    expect(envOf(one).engine).toBe(engineOne);
    // Start both helper threads: each stream is over two lstat batches.
    const rels = Array.from({ length: 4_500 }, (_, i) => `missing-${i}`);
    for (const engine of [engineOne, engineTwo]) {
      const stream = engine.stats.stream(tmpdir());
      for (const rel of rels) stream.push(rel);
      await stream.finish();
    }
    expect(engineOne.stats.helperThreadId).toBeDefined();
    expect(engineTwo.stats.helperThreadId).toBeDefined();
    await one.close();
    expect(engineOne.stats.helperThreadId).toBeUndefined();
    expect(engineTwo.stats.helperThreadId).toBeDefined();
    await two.close();
    expect(engineTwo.stats.helperThreadId).toBeUndefined();
  });
});
