// The gate's base side without a second checkout: the spawn with the base layer stacked above it must show the
// base commit's tree exactly (changed files restored, added files, new directories and ignored output hidden),
// and the spawn itself must not change.
import { chmodSync, mkdirSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { recordBaseline, writeBaseLayer } from "../../src/engine/index.js";
import { computeDelta } from "../../src/engine/delta.js";
import { materialize } from "../../src/engine/spawn.js";
import { createSandbox, makeWhiteouts, type Sandbox } from "../../src/sandbox/index.js";
import { MAX_WHITEOUTS } from "../../src/sandbox/commandView.js";
import { createMemoryBaselineCache, runDeterministicGate } from "../../src/gates/deterministic.js";
import { runSide } from "../../src/gates/runCommands.js";
import { gateConfig } from "../fixtures/cheats/gateConfig.js";
import { buildRepo, tempDir } from "../support/repoBuilder.js";
import { snapshotTree } from "./engine-helpers.js";

// Lists every file with its mode and content hash, the way a test runner on the base would see the tree.
const listing =
  'find . -path ./.git -prune -o \\( -type f -o -type l \\) -print | LC_ALL=C sort | while read -r f; do if [ -L "$f" ]; then echo "$f -> $(readlink "$f")"; else echo "$f $(stat -c %a "$f") $(sha1sum < "$f" | cut -c1-12)"; fi; done';

describe("the base side layered over the spawn", () => {
  let sandbox: Sandbox;
  let repo: { bare: string };
  const workRoot = tempDir();
  const cacheRoot = tempDir();
  let n = 0;

  beforeAll(async () => {
    sandbox = await createSandbox({ mode: "required", hostPath: "/usr/bin:/bin" });
    repo = buildRepo(tempDir(), "layer", {
      "src/app.ts": "export const a = 1;\n",
      "src/gone.ts": "export const g = 1;\n",
      "src/deep/keep.ts": "keep\n",
      "tool.sh": { content: "#!/bin/sh\necho tool\n", executable: true },
      "becomes-dir": "a file on the base\n",
      "was-dir/inner.txt": "inside\n",
      link: { symlink: "src/app.ts" },
      ".gitignore": "build/\n",
    });
  });

  async function agentRun(edit: (dir: string) => void) {
    const spawn = await materialize({
      jobId: `layer-${++n}`,
      source: { cacheKey: `local:${repo.bare}`, url: repo.bare },
      baseRef: "main",
      workRoot,
      cacheRoot,
    });
    const baseline = await recordBaseline(spawn);
    const pristine = snapshotTree(spawn.dir);
    edit(spawn.dir);
    const delta = await computeDelta(spawn, baseline);
    return { spawn, baseline, delta, pristine };
  }

  async function baseListing(run: Awaited<ReturnType<typeof agentRun>>, dir: string, layered: boolean) {
    const side = await runSide({
      side: "baseline",
      dir,
      setup: [],
      commands: [{ run: listing, name: "list", timeoutMs: 30_000 }],
      sandbox,
      network: "none",
      scratchDir: path.join(tempDir(), "scratch"),
      ...(layered ? { layer: (layerDir: string) => writeBaseLayer({ spawn: run.spawn, baseline: run.baseline, delta: run.delta, layerDir }) } : {}),
    });
    expect(side.commands[0].exitCode).toBe(0);
    return side.commands[0].outputTail;
  }

  it("shows exactly the base commit's files however the agent changed the tree", async () => {
    const run = await agentRun((dir) => {
      writeFileSync(path.join(dir, "src/app.ts"), "export const a = 2; // fixed\n");
      unlinkSync(path.join(dir, "src/gone.ts"));
      writeFileSync(path.join(dir, "src/new.ts"), "new\n");
      mkdirSync(path.join(dir, "brand/new/dir"), { recursive: true });
      writeFileSync(path.join(dir, "brand/new/dir/x.ts"), "x\n");
      writeFileSync(path.join(dir, "src/deep/added.ts"), "added beside a kept file\n");
      chmodSync(path.join(dir, "tool.sh"), 0o644);
      unlinkSync(path.join(dir, "becomes-dir"));
      mkdirSync(path.join(dir, "becomes-dir"));
      writeFileSync(path.join(dir, "becomes-dir/child.txt"), "now a directory\n");
      rmSync(path.join(dir, "was-dir"), { recursive: true });
      writeFileSync(path.join(dir, "was-dir"), "now a file\n");
      unlinkSync(path.join(dir, "link"));
      symlinkSync("src/deep/keep.ts", path.join(dir, "link"));
      mkdirSync(path.join(dir, "build"));
      writeFileSync(path.join(dir, "build/out.js"), "ignored build output\n");
    });
    expect(run.delta.files.length).toBeGreaterThan(8);
    const before = snapshotTree(run.spawn.dir);
    // The reference: the same listing on a fresh checkout of the base commit.
    const reference = tempDir();
    execFileSync("git", ["clone", "-q", repo.bare, reference]);
    const expected = await baseListing(run, reference, false);
    expect(expected).toContain("./src/gone.ts");
    expect(await baseListing(run, run.spawn.dir, true)).toBe(expected);
    // The spawn still holds the agent's change, untouched by the base side.
    expect(snapshotTree(run.spawn.dir)).toEqual(before);
    expect(before).not.toEqual(run.pristine);
  });

  /** The gate on an agent run that turns `a = 1` into `a = 2`, checked by a command green only after the change. */
  async function gateOnFix(baselineDir: () => Promise<string>, baseLayer: Parameters<typeof runDeterministicGate>[0]["baseLayer"]) {
    const run = await agentRun((dir) => writeFileSync(path.join(dir, "src/app.ts"), "export const a = 2;\n"));
    const config = gateConfig();
    config.gates.deterministic.commands = [{ run: "grep -q 'a = 2' src/app.ts", timeoutMinutes: 1 }];
    return runDeterministicGate({
      delta: run.delta,
      baseline: run.baseline,
      spawnDir: run.spawn.dir,
      baselineDir,
      baseLayer: baseLayer ?? ((layerDir) => writeBaseLayer({ spawn: run.spawn, baseline: run.baseline, delta: run.delta, layerDir })),
      config,
      sandbox,
      guardViolations: [],
      cache: createMemoryBaselineCache(),
      scratchDir: path.join(tempDir(), "scratch"),
    });
  }

  it("gives the gate the same verdict as a separate base checkout, without making one", async () => {
    let checkouts = 0;
    const result = await gateOnFix(async () => {
      checkouts++;
      throw new Error("no second checkout expected");
    }, undefined);
    expect(checkouts).toBe(0);
    expect(result.status).toBe("pass");
    // Red on the base (the layer restored a = 1), green after: the command fixed something.
    expect(result.commands?.[0].status).toBe("fixed");
  });

  it("falls back to a separate base checkout, and says so, when the layer cannot be made", async () => {
    const reference = tempDir();
    execFileSync("git", ["clone", "-q", repo.bare, reference]);
    let checkouts = 0;
    const result = await gateOnFix(
      async () => (checkouts++, reference),
      async () => {
        throw new Error("whiteouts refused by this kernel");
      },
    );
    expect(checkouts).toBe(1);
    expect(result.commands?.[0].status).toBe("fixed");
    expect(result.notes?.join("\n")).toContain("whiteouts refused by this kernel");
  });

  it("refuses to hide more added paths than a separate checkout would cost, so the gate falls back", async () => {
    const many = Array.from({ length: MAX_WHITEOUTS + 1 }, (_, i) => `generated/${i}.o`);
    await expect(makeWhiteouts(tempDir(), many)).rejects.toThrow(`${MAX_WHITEOUTS + 1} added paths would have to be hidden`);
  });
});
