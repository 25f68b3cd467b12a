// What the gate's commands can reach: the after-run cannot poison the baseline run (its HOME, TMPDIR,
// view, or the cached result), cannot write the spawn (a committed vendor/ included), and a run that
// goes over the memory cap is stopped and said so.
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMemoryBaselineCache, runDeterministicGate } from "../../src/gates/deterministic.js";
import { createSandbox, type Sandbox } from "../../src/sandbox/index.js";
import { gateConfig } from "../fixtures/cheats/gateConfig.js";
import { gateScenario } from "../support/gateScenario.js";

let root: string;
let sandbox: Sandbox;
beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), "sandbox-gate-isolation-"));
  sandbox = await createSandbox({ mode: "required", hostPath: "/usr/bin:/bin" });
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const packageJson = JSON.stringify({ name: "calc", version: "1.0.0", scripts: { test: "node test.js" } });
const calc = (op: string) => `exports.sub = (a, b) => a ${op} b;\n`;
const honestTest = `const { sub } = require("./calc");\nif (sub(3, 1) !== 2) { console.log("not ok 1 - sub"); process.exit(1); }\nconsole.log("ok 1 - sub");\n`;
/** The agent's "test": plants an .npmrc wherever the baseline's HOME may be, so the base fails too. */
const poisoningTest = `const fs = require("fs"), path = require("path");
for (const home of [path.join(process.env.HOME, "..", "..", "baseline", "home"), process.env.HOME]) {
  try {
    fs.mkdirSync(home, { recursive: true });
    fs.writeFileSync(path.join(home, "fail.js"), "process.exit(1)\\n");
    fs.writeFileSync(path.join(home, ".npmrc"), "node-options=--require " + path.join(home, "fail.js") + "\\n");
  } catch {}
}
${honestTest}`;

describe("the baseline run cannot be poisoned by the after-run", () => {
  it("still reports the regression when the agent's test plants ~/.npmrc for the base side, and caches a clean base", async () => {
    const run = await gateScenario(
      root,
      sandbox,
      "",
      { "package.json": packageJson, "calc.js": calc("-"), "test.js": honestTest },
      { "calc.js": calc("+"), "test.js": poisoningTest },
    );
    const cache = createMemoryBaselineCache();
    const config = gateConfig({ deterministic: { commands: ["npm test"] } });
    const result = await runDeterministicGate(run.input(config, cache));
    expect(result.status).toBe("fail");
    expect(result.commands?.[0]?.status).toBe("regressed");

    // A second job on the same base commit reads the cached base result: it is green, not poisoned.
    const again = await runDeterministicGate(run.input(config, cache));
    expect(again.notes?.some((n) => n.startsWith("baseline results reused"))).toBe(true);
    expect(again.status).toBe("fail");
  });
});

describe("commands never write the spawn", () => {
  it("keeps a committed vendor/ exactly as the agent left it, whatever the commands write there", async () => {
    const run = await gateScenario(
      root,
      sandbox,
      "",
      { "vendor/lib.txt": "committed\n", "package.json": packageJson, "calc.js": calc("-"), "test.js": honestTest },
      { "calc.js": calc("-") + "// touched\n" },
    );
    const config = gateConfig({
      deterministic: { commands: ["echo rewritten > vendor/lib.txt && echo new > vendor/added.txt && mkdir -p target && echo x > target/out && npm test"] },
    });
    const result = await runDeterministicGate(run.input(config));
    expect(result.status).toBe("pass");
    expect(await readFile(path.join(run.spawnDir, "vendor/lib.txt"), "utf8")).toBe("committed\n");
    expect(existsSync(path.join(run.spawnDir, "vendor/added.txt"))).toBe(false);
    expect(existsSync(path.join(run.spawnDir, "target"))).toBe(false);
    expect(await readFile(path.join(run.baselineDir, "vendor/lib.txt"), "utf8")).toBe("committed\n");
    // Each side's view (with what the commands built) is removed once the side is judged.
    for (const side of ["after", "baseline"]) expect(existsSync(path.join(run.dir, "scratch", side, "view"))).toBe(false);
    expect(existsSync(run.spawnDir)).toBe(true);
  });

  it("does the same with the copy fallback where overlays are refused", async () => {
    const copying = await createSandbox({ mode: "required", hostPath: "/usr/bin:/bin", commandView: "copy" });
    expect(copying.description.commandView).toBe("copy");
    const run = await gateScenario(
      root,
      copying,
      "",
      { "vendor/lib.txt": "committed\n", "package.json": packageJson, "calc.js": calc("-"), "test.js": honestTest },
      { "calc.js": calc("-") + "// touched\n" },
    );
    const config = gateConfig({ deterministic: { commands: ["echo rewritten > vendor/lib.txt && npm test"] } });
    const result = await runDeterministicGate(run.input(config));
    expect(result.status).toBe("pass");
    expect(await readFile(path.join(run.spawnDir, "vendor/lib.txt"), "utf8")).toBe("committed\n");
  });
});

describe("memory cap", () => {
  it("stops a command that goes over the cap and says so, instead of letting it take the host's memory", async () => {
    const capped = await createSandbox({ mode: "required", hostPath: "/usr/bin:/bin", limits: { maxMemoryBytes: 256 * 1024 * 1024 } });
    expect(capped.description.memory).toEqual({ maxBytes: 256 * 1024 * 1024, enforcedBy: "cgroup" });
    const hog = "python3 -c \"b = bytearray(1024 * 1024 * 1024); b[::4096] = b'x' * len(b[::4096]); print('allocated')\"";
    const result = await capped.run({ argv: ["/bin/sh", "-c", hog], cwd: root, env: { PATH: "/usr/bin:/bin" }, timeoutMs: 60_000, network: "none" });
    expect(result.outputTail).not.toContain("allocated");
    expect(result.memoryExceeded).toBe(true);

    const run = await gateScenario(root, capped, "", { "package.json": packageJson, "calc.js": calc("+"), "test.js": honestTest }, { "calc.js": calc("-") });
    const gate = await runDeterministicGate(run.input(gateConfig({ deterministic: { commands: [`${hog} && npm test`] } })));
    expect(gate.status).toBe("error");
    expect(gate.reasons[0]).toContain("used more than 256 MiB of memory and was stopped");
  });

  it("leaves a command under the cap alone", async () => {
    const capped = await createSandbox({ mode: "required", hostPath: "/usr/bin:/bin", limits: { maxMemoryBytes: 256 * 1024 * 1024 } });
    const result = await capped.run({
      argv: ["/bin/sh", "-c", "python3 -c \"b = bytearray(32 * 1024 * 1024); print('allocated')\""],
      cwd: root,
      env: { PATH: "/usr/bin:/bin" },
      timeoutMs: 60_000,
      network: "none",
    });
    expect(result.outputTail).toContain("allocated");
    expect(result.memoryExceeded).toBeUndefined();
  });
});
