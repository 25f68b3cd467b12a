// The walls between rooms are code (.dependency-cruiser.cjs): each rule must catch what it names,
// and the product's own src/ must pass them.
import { execFile } from "node:child_process";
import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { repoRoot } from "../support/cliRunner.js";

const run = promisify(execFile);
const depcruise = path.join(repoRoot, "node_modules", ".bin", "depcruise");
const config = path.join(repoRoot, ".dependency-cruiser.cjs");
let dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  dirs = [];
});

async function check(cwd: string): Promise<{ ok: boolean; output: string }> {
  try {
    const { stdout } = await run(depcruise, ["src", "--config", config], { cwd });
    return { ok: true, output: stdout };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    return { ok: false, output: `${e.stdout ?? ""}${e.stderr ?? ""}` };
  }
}

/** A copy of the small fixture house, with `edits` (path → content) made to it. */
async function house(edits: Record<string, string> = {}): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "autofix-walls-"));
  dirs.push(dir);
  await cp(path.join(repoRoot, "test", "fixtures", "walls"), dir, { recursive: true });
  for (const [file, content] of Object.entries(edits)) await writeFile(path.join(dir, file), content);
  return dir;
}

describe("the walls between rooms", () => {
  it("the product's src/ passes every rule", async () => {
    const result = await check(repoRoot);
    expect(result.output).toContain("no dependency violations found");
    expect(result.ok).toBe(true);
  });

  it("a well-built house passes", async () => {
    expect((await check(await house())).ok).toBe(true);
  });

  it("an upward import (the engine reaching into the pipeline) fails and names the rule", async () => {
    const dir = await house({
      "src/engine/spawn.ts": 'import { runPipeline } from "../pipeline/index.js";\nexport const materialize = (): string => typeof runPipeline;\n',
    });
    const result = await check(dir);
    expect(result.ok).toBe(false);
    expect(result.output).toContain("no-upward-from-engine");
    expect(result.output).toContain("src/engine/spawn.ts → src/pipeline/index.ts");
  });

  it("importing a room's file past its door fails", async () => {
    const dir = await house({
      "src/pipeline/run.ts": 'import { materialize } from "../engine/spawn.js";\nexport const runPipeline = (): string => materialize();\n',
    });
    const result = await check(dir);
    expect(result.ok).toBe(false);
    expect(result.output).toContain("doors-only");
  });

  it("an import circle fails", async () => {
    const dir = await house({
      "src/gates/policy.ts": 'import { other } from "./other.js";\nexport const decide = (): boolean => other();\n',
      "src/gates/other.ts": 'import { decide } from "./policy.js";\nexport const other = (): boolean => typeof decide === "function";\n',
    });
    const result = await check(dir);
    expect(result.ok).toBe(false);
    expect(result.output).toContain("no-circular");
  });

  it("a room going through its own door fails (it makes a circle)", async () => {
    const dir = await house({
      "src/pipeline/run.ts":
        'import { materialize } from "../engine/index.js";\nimport { runPipeline as again } from "./index.js";\nexport const runPipeline = (): string => materialize() + typeof again;\n',
    });
    const result = await check(dir);
    expect(result.ok).toBe(false);
    expect(result.output).toContain("no-own-door-inside");
  });
});

describe("docs/architecture.md", () => {
  it("lists the same levels, in the same order, as the walls the checker enforces", async () => {
    const { createRequire } = await import("node:module");
    const levels = createRequire(import.meta.url)(config).levels as string[][];
    const { readFile } = await import("node:fs/promises");
    const doc = await readFile(path.join(repoRoot, "docs", "architecture.md"), "utf8");
    const table = doc.slice(doc.indexOf("<!-- levels:start"), doc.indexOf("<!-- levels:end"));
    const documented = [...table.matchAll(/^\| (\d+) \| ([^|]+) \|/gm)].map((m) => [...m[2].matchAll(/`([^`]+)`/g)].map((r) => r[1]));
    expect(documented).toEqual(levels);
  });
});
