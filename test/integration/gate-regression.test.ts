// Per-test regression on real repositories with one test already failing on the base: the repository's
// own commands run through the real sandbox on both sides, and only what the agent turned red blocks.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { cp, mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createBaselineCache, createMemoryBaselineCache, runDeterministicGate, type BaselineResultCache } from "../../src/gates/deterministic.js";
import { createSandbox } from "../../src/sandbox/index.js";
import type { Sandbox } from "../../src/sandbox/types.js";
import { buildDelta } from "../fixtures/cheats/buildDelta.js";
import { gateConfig } from "../fixtures/cheats/gateConfig.js";

const fixtures = fileURLToPath(new URL("../fixtures/regression-repos/", import.meta.url));
let root: string;
let sandbox: Sandbox;
// pytest lives in the host's pyenv Python, outside /usr: the operator's toolchain option makes it visible.
const pythonPrefix = execFileSync("python3", ["-c", "import sys, pytest; print(sys.prefix)"], { encoding: "utf8" }).trim();
// vitest comes from this project's node_modules, linked into the fixture copies and visible read-only.
const hostNodeModules = fileURLToPath(new URL("../../node_modules", import.meta.url));
// cargo is a rustup proxy under /root: visible read-only, and told where its toolchains are.
const rustup = { RUSTUP_HOME: "/root/.rustup", CARGO_HOME: "/root/.cargo" };
const toolchain = {
  readOnlyPaths: [pythonPrefix, hostNodeModules, rustup.RUSTUP_HOME, rustup.CARGO_HOME],
  pathDirs: [path.join(pythonPrefix, "bin"), path.join(rustup.CARGO_HOME, "bin")],
  env: rustup,
};

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), "gate-regression-"));
  sandbox = await createSandbox({ mode: "auto" });
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function listFiles(dir: string, prefix = ""): Promise<string[]> {
  const entries = await readdir(path.join(dir, prefix), { withFileTypes: true });
  const files: string[] = [];
  for (const entry of entries) {
    const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) files.push(...(await listFiles(dir, relative)));
    else files.push(relative);
  }
  return files;
}

let counter = 0;
/** A baseline checkout and a spawn where the "agent" wrote `changes`, plus the delta between them. */
async function scenario(fixture: string, changes: Record<string, string | null>) {
  const dir = path.join(root, `${fixture}-${++counter}`);
  const baselineDir = path.join(dir, "baseline");
  const spawnDir = path.join(dir, "spawn");
  await cp(path.join(fixtures, fixture), baselineDir, { recursive: true });
  await cp(path.join(fixtures, fixture), spawnDir, { recursive: true });
  if (fixture === "vitest") {
    await symlink(hostNodeModules, path.join(baselineDir, "node_modules"));
    await symlink(hostNodeModules, path.join(spawnDir, "node_modules"));
  }
  const before: Record<string, string> = {};
  for (const file of (await listFiles(baselineDir)).filter((f) => !f.startsWith("node_modules")))
    before[file] = await readFile(path.join(baselineDir, file), "utf8");
  for (const [file, content] of Object.entries(changes)) {
    if (content === null) await rm(path.join(spawnDir, file));
    else await writeFile(path.join(spawnDir, file), content);
  }
  const delta = buildDelta(before, changes);
  let baselineRequests = 0;
  return {
    spawnDir,
    delta,
    baselineRequests: () => baselineRequests,
    input: (config = gateConfig(), cache: BaselineResultCache = createMemoryBaselineCache()) => ({
      delta,
      baseline: { baseSha: `${fixture}-base`.padEnd(40, "0"), files: {} },
      spawnDir,
      baselineDir: async () => {
        baselineRequests += 1;
        return baselineDir;
      },
      config,
      sandbox,
      guardViolations: [],
      cache,
      scratchDir: path.join(dir, "scratch"),
      toolchain,
    }),
  };
}

const mathJs = () => readFile(path.join(fixtures, "node/src/math.mjs"), "utf8");
const calcPy = () => readFile(path.join(fixtures, "pytest/calc.py"), "utf8");

describe("node --test (TAP), detected from package.json", () => {
  it("blocks an agent that breaks a second test, naming it", async () => {
    const source = (await mathJs()).replace("return a + b;\n}\n\n// The bug", "return a - b;\n}\n\n// The bug");
    const run = await scenario("node", { "src/math.mjs": source });
    const result = await runDeterministicGate(run.input());
    expect(result.status).toBe("fail");
    const [command] = result.commands ?? [];
    expect(command).toMatchObject({ command: "npm test", status: "regressed", detectedFrom: "package.json (scripts.test)" });
    expect(command?.tests).toMatchObject({ regressed: ["math > adds"], parsed: true });
    expect(result.reasons.join("\n")).toContain("math > adds (passed on the base, fails now)");
  });

  it("passes an agent that fixes the failing test and lists it as fixed", async () => {
    const source = (await mathJs()).replace(
      "// The bug the issue reports: sub adds.\nexport function sub(a, b) {\n  return a + b;",
      "export function sub(a, b) {\n  return a - b;",
    );
    const run = await scenario("node", { "src/math.mjs": source });
    const result = await runDeterministicGate(run.input());
    expect(result.reasons).toEqual([]);
    expect(result.status).toBe("pass");
    expect(result.commands?.[0]).toMatchObject({ status: "fixed", tests: { fixed: ["math > subtracts"], regressed: [], missing: [] } });
    expect(result.summary).toContain("fixed: math > subtracts");
    expect(result.notes?.join("\n")).toContain("detected `npm test` from package.json (scripts.test)");
  });

  it("does not block a change that leaves the already-red test red and breaks nothing", async () => {
    const source = (await mathJs()).replace("export function mul(a, b) {", "// Multiplies two numbers.\nexport function mul(a, b) {");
    const run = await scenario("node", { "src/math.mjs": source });
    const cache = createMemoryBaselineCache();
    const result = await runDeterministicGate(run.input(gateConfig(), cache));
    expect(result.status).toBe("pass");
    expect(result.commands?.[0]?.status).toBe("already-red");
    // A second attempt on the same base reuses the baseline run instead of materializing it again.
    const again = await runDeterministicGate(run.input(gateConfig(), cache));
    expect(again.status).toBe("pass");
    expect(run.baselineRequests()).toBe(1);
    expect(again.notes?.join("\n")).toContain("baseline results reused");
  });
});

describe("a test file that fails to load on both sides", () => {
  it("is not mistaken for a new failure though each side names it by its own absolute path", async () => {
    const brokenFile = 'import { it } from "node:test";\nit("never loads", () => {\n';
    const run = await scenario("node", {
      "src/math.mjs": (await mathJs()).replace(
        "// The bug the issue reports: sub adds.\nexport function sub(a, b) {\n  return a + b;",
        "export function sub(a, b) {\n  return a - b;",
      ),
    });
    // The broken file is part of the base (written on both sides before the run, outside the delta).
    const spawnDir = run.spawnDir;
    const baselineDir = path.join(path.dirname(spawnDir), "baseline");
    await writeFile(path.join(spawnDir, "test/broken.test.mjs"), brokenFile);
    await writeFile(path.join(baselineDir, "test/broken.test.mjs"), brokenFile);
    const result = await runDeterministicGate(run.input());
    expect(result.status).toBe("pass");
    expect(result.commands?.[0]).toMatchObject({ status: "already-red", tests: { fixed: ["math > subtracts"], regressed: [] } });
  });
});

describe("checks an agent tries to make disappear", () => {
  it("refuses a delta that deletes package.json, whose test script is what the gate runs", async () => {
    const run = await scenario("node", { "package.json": null });
    const result = await runDeterministicGate(run.input());
    expect(result.status).toBe("fail");
    expect(result.summary).toContain("TEST_SCRIPT_CHANGED");
  });

  it("still runs the base's detected command when the agent deletes the file it was detected from", async () => {
    // pytest.ini is protected by default; unprotect it to reach the detection itself.
    const run = await scenario("pytest", { "pytest.ini": null });
    const result = await runDeterministicGate(run.input(gateConfig({ deterministic: { protectedPaths: [] } })));
    expect(result.commands?.map((c) => c.command)).toEqual(["python3 -m pytest -p no:cacheprovider"]);
    expect(result.commands?.[0]).toMatchObject({ detectedFrom: "pytest.ini", status: "already-red" });
    expect(result.notes).not.toContain("no checks ran: no test command configured or detected");
  });

  it("blocks a change that makes the suite crash before naming any test, though the base was already red", async () => {
    const run = await scenario("node", {
      "src/math.mjs": `${await mathJs()}
export function broken( {
`,
    });
    const result = await runDeterministicGate(run.input());
    expect(result.status).toBe("fail");
    expect(result.commands?.[0]?.tests?.missing).toContain("math > adds");
  });
});

describe("JUnit XML from a configured command", () => {
  const junitConfig = () =>
    gateConfig({
      deterministic: {
        commands: [
          {
            name: "unit tests",
            run: "mkdir -p reports && node --test --test-reporter=junit --test-reporter-destination=reports/junit.xml test/",
            junit: "reports/junit.xml",
          },
        ],
      },
    });

  it("blocks a broken second test and passes the fix, reading the report the config names", async () => {
    const broken = await scenario("node", { "src/math.mjs": (await mathJs()).replace("return a * b;", "return a * b + 1;") });
    const blocked = await runDeterministicGate(broken.input(junitConfig()));
    expect(blocked.status).toBe("fail");
    expect(blocked.commands?.[0]?.tests).toMatchObject({ regressed: ["math > multiplies"], parsed: true, note: "per-test results read from JUnit XML" });

    const fixedSource = (await mathJs()).replace(
      "// The bug the issue reports: sub adds.\nexport function sub(a, b) {\n  return a + b;",
      "export function sub(a, b) {\n  return a - b;",
    );
    const fixed = await scenario("node", { "src/math.mjs": fixedSource });
    const passed = await runDeterministicGate(fixed.input(junitConfig()));
    expect(passed.status).toBe("pass");
    expect(passed.commands?.[0]).toMatchObject({ name: "unit tests", status: "fixed", tests: { fixed: ["math > subtracts"] } });
    // The report it wrote in the spawn is removed again, so it cannot surface in a later attempt's delta.
    await expect(readFile(path.join(fixed.spawnDir, "reports/junit.xml"))).rejects.toThrow();
  });
});

describe("vitest under npm, with its junit reporter injected", () => {
  // V8 reserves about 10 GiB of address space per WebAssembly memory, and vitest 4 loads Wasm: under the
  // sandbox's default 8 GiB RLIMIT_AS it dies with "Cannot allocate Wasm memory" on both sides.
  beforeAll(async () => {
    sandbox = await createSandbox({ mode: "auto", limits: { maxMemoryBytes: 2 ** 40 } });
  });
  afterAll(async () => {
    sandbox = await createSandbox({ mode: "auto" });
  });

  it("blocks a broken second test by name and passes the fix listing the fixed test", async () => {
    const vitestMath = await readFile(path.join(fixtures, "vitest/src/math.mjs"), "utf8");
    const broken = await scenario("vitest", { "src/math.mjs": vitestMath.replace("return a * b;", "return a * b + 1;") });
    const blocked = await runDeterministicGate(broken.input());
    expect(blocked.status).toBe("fail");
    expect(blocked.commands?.[0]?.tests).toMatchObject({
      regressed: ["test/math.test.mjs > math > multiplies"],
      parsed: true,
      note: "per-test results read from JUnit XML",
    });

    const fixed = await scenario("vitest", {
      "src/math.mjs": vitestMath.replace(
        "// The bug the issue reports: sub adds.\nexport function sub(a, b) {\n  return a + b;",
        "export function sub(a, b) {\n  return a - b;",
      ),
    });
    const passed = await runDeterministicGate(fixed.input());
    expect(passed.status).toBe("pass");
    expect(passed.commands?.[0]).toMatchObject({ status: "fixed", tests: { fixed: ["test/math.test.mjs > math > subtracts"] } });
  });
});

describe("cargo test, detected from Cargo.toml", () => {
  it("blocks a broken second test by name and passes the fix listing the fixed test", async () => {
    const lib = await readFile(path.join(fixtures, "cargo/src/lib.rs"), "utf8");
    const broken = await scenario("cargo", { "src/lib.rs": lib.replace("    a * b\n", "    a * b + 1\n") });
    const blocked = await runDeterministicGate(broken.input());
    expect(blocked.status).toBe("fail");
    expect(blocked.commands?.[0]).toMatchObject({ command: "cargo test --no-fail-fast", detectedFrom: "Cargo.toml", status: "regressed" });
    expect(blocked.commands?.[0]?.tests?.regressed).toEqual(["src/lib.rs > tests::multiplies"]);

    const fixed = await scenario("cargo", {
      "src/lib.rs": lib.replace(
        "// The bug the issue reports: sub adds.\npub fn sub(a: i32, b: i32) -> i32 {\n    a + b",
        "pub fn sub(a: i32, b: i32) -> i32 {\n    a - b",
      ),
    });
    const passed = await runDeterministicGate(fixed.input());
    expect(passed.status).toBe("pass");
    expect(passed.commands?.[0]).toMatchObject({ status: "fixed", tests: { fixed: ["src/lib.rs > tests::subtracts"] } });
  });
});

describe("pytest, detected from pytest.ini, with an injected --junitxml", () => {
  it("blocks an agent that breaks test_add, naming it", async () => {
    const run = await scenario("pytest", { "calc.py": (await calcPy()).replace("def add(a, b):\n    return a + b", "def add(a, b):\n    return a - b") });
    const result = await runDeterministicGate(run.input());
    expect(result.status).toBe("fail");
    expect(result.commands?.[0]).toMatchObject({ command: "python3 -m pytest -p no:cacheprovider", detectedFrom: "pytest.ini", status: "regressed" });
    expect(result.commands?.[0]?.tests?.regressed).toEqual(["test_calc > test_add"]);
  });

  it("passes the fix and reports test_sub as fixed", async () => {
    const run = await scenario("pytest", { "calc.py": (await calcPy()).replace("def sub(a, b):\n    return a + b", "def sub(a, b):\n    return a - b") });
    const result = await runDeterministicGate(run.input());
    expect(result.status).toBe("pass");
    expect(result.commands?.[0]?.tests).toMatchObject({ fixed: ["test_calc > test_sub"], regressed: [], missing: [], parsed: true });
    expect((await listFiles(run.spawnDir)).filter((f) => f.includes("__pycache__"))).toEqual([]);
  });
});

describe("configured commands of known runners report per test too", () => {
  it("go test without -json gets it, so a failing test renamed away is missing, not fixed", async () => {
    const test = await readFile(path.join(fixtures, "go/calc_test.go"), "utf8");
    const run = await scenario("go", {
      "calc_test.go": test.replace("func TestSub(t *testing.T) {\n\tif Sub(3, 1) != 2 {", "func TestSubtraction(t *testing.T) {\n\tif Sub(0, 0) != 0 {"),
    });
    const result = await runDeterministicGate(run.input(gateConfig({ deterministic: { commands: ["go test ./..."] } })));
    expect(result.status).toBe("fail");
    expect(result.commands?.[0]).toMatchObject({
      command: "go test ./...",
      status: "regressed",
      tests: { parsed: true, missing: ["example.com/calc > TestSub"] },
    });
    expect(result.reasons.join("\n")).toContain("example.com/calc > TestSub (ran on the base, missing or skipped now)");
  });

  it("pytest gets --junitxml, and a fix shows the red test turned green", async () => {
    const run = await scenario("pytest", { "calc.py": (await calcPy()).replace("def sub(a, b):\n    return a + b", "def sub(a, b):\n    return a - b") });
    const result = await runDeterministicGate(
      run.input(gateConfig({ deterministic: { commands: [{ name: "unit", run: "python3 -m pytest -q -p no:cacheprovider" }] } })),
    );
    expect(result.status).toBe("pass");
    expect(result.commands?.[0]).toMatchObject({
      status: "fixed",
      tests: { parsed: true, note: "per-test results read from JUnit XML", fixed: ["test_calc > test_sub"] },
    });
  });
});

describe("whole-command fallback and failures of the run itself", () => {
  it("falls back to exit codes when the output names no tests, and says so", async () => {
    const run = await scenario("node", { "src/math.mjs": (await mathJs()).replace("return a * b;", "return a * b + 1;") });
    const config = gateConfig({
      deterministic: { commands: ["node -e \"process.exit(require('fs').readFileSync('src/math.mjs','utf8').includes('+ 1') ? 1 : 0)\""] },
    });
    const result = await runDeterministicGate(run.input(config));
    expect(result.status).toBe("fail");
    expect(result.commands?.[0]).toMatchObject({ status: "regressed", tests: { parsed: false } });
    expect(result.commands?.[0]?.tests?.note).toContain("whole-command result used");
  });

  it("says plainly when a command is red on both sides and names no tests", async () => {
    const run = await scenario("node", { "src/math.mjs": `${await mathJs()}\n` });
    const result = await runDeterministicGate(run.input(gateConfig({ deterministic: { commands: ["echo broken toolchain; exit 2"] } })));
    expect(result.status).toBe("pass");
    expect(result.commands?.[0]?.status).toBe("already-red");
    expect(result.notes).toContain(
      "`echo broken toolchain; exit 2` fails on the base commit too (exit 2) and names no tests: it cannot tell whether this change breaks anything",
    );
  });

  it("reports error, never pass, when the checks cannot be run at all", async () => {
    const run = await scenario("node", { "src/math.mjs": `${await mathJs()}\n` });
    const result = await runDeterministicGate({
      ...run.input(gateConfig({ deterministic: { commands: ["true"] } })),
      spawnDir: path.join(root, "no-such-spawn"),
    });
    expect(result.status).toBe("error");
    expect(result.reasons.join(" ")).toContain("no-such-spawn");
  });

  it("leaves the spawn exactly as the agent left it, whatever the commands write", async () => {
    const run = await scenario("node", { "src/math.mjs": `${await mathJs()}\n` });
    const before = await listFiles(run.spawnDir);
    const sourceBefore = await readFile(path.join(run.spawnDir, "src/math.mjs"), "utf8");
    const config = gateConfig({
      deterministic: {
        setup: ["mkdir -p coverage && echo 1 > coverage/lcov.info"],
        commands: ["echo '// formatted' >> src/math.mjs && rm test/math.test.mjs && node --test test/ || true"],
      },
    });
    const result = await runDeterministicGate(run.input(config));
    expect(result.commands?.[0]).toBeDefined();
    expect(await listFiles(run.spawnDir)).toEqual(before);
    expect(await readFile(path.join(run.spawnDir, "src/math.mjs"), "utf8")).toBe(sourceBefore);
  });

  it("runs nothing when the config lists no commands on purpose, and says no checks ran", async () => {
    const run = await scenario("node", { "src/math.mjs": `${await mathJs()}\n` });
    const result = await runDeterministicGate(run.input(gateConfig({ deterministic: { commands: [] } })));
    expect(result.status).toBe("pass");
    expect(result.commands).toEqual([]);
    expect(result.notes).toContain("no checks ran: no test command configured or detected");
    expect(run.baselineRequests()).toBe(0);
  });

  it("reports a failing setup command as an error, not a regression", async () => {
    const run = await scenario("node", { "src/math.mjs": await mathJs() });
    const result = await runDeterministicGate(run.input(gateConfig({ deterministic: { setup: ["exit 3"], commands: ["true"] } })));
    expect(result.status).toBe("error");
    expect(result.summary).toContain("Setup command `exit 3` failed");
  });

  // Six seconds: long enough that a loaded machine never times out the quick base side by accident.
  it("lets commands write into a committed node_modules/ or vendor/ without the write reaching the spawn", async () => {
    const run = await scenario("node", { "src/math.mjs": `${await mathJs()}\n` });
    await mkdir(path.join(run.spawnDir, "node_modules"), { recursive: true });
    await mkdir(path.join(run.spawnDir, "vendor"), { recursive: true });
    await writeFile(path.join(run.spawnDir, "vendor/lib.txt"), "committed\n");
    const config = gateConfig({
      deterministic: {
        commands: [
          "mkdir -p node_modules/.cache && echo hit > node_modules/.cache/stamp && echo changed > vendor/lib.txt && test ! -L node_modules && test ! -L vendor",
        ],
      },
    });
    const result = await runDeterministicGate(run.input(config));
    expect(result.commands?.[0]?.exitCode).toBe(0);
    expect(existsSync(path.join(run.spawnDir, "node_modules/.cache/stamp"))).toBe(false);
    expect(await readFile(path.join(run.spawnDir, "vendor/lib.txt"), "utf8")).toBe("committed\n");
  });

  it("blocks a command that now runs past its time limit", async () => {
    const run = await scenario("node", { "src/math.mjs": `${await mathJs()}\n// slow\n` });
    const config = gateConfig({ deterministic: { commands: [{ run: "grep -q slow src/math.mjs && sleep 60 || true", timeoutMinutes: 0.1 }] } });
    const result = await runDeterministicGate(run.input(config));
    expect(result.status).toBe("fail");
    expect(result.commands?.[0]?.status).toBe("timeout");
  });

  it("does not cache a baseline run that timed out, so a slow moment cannot excuse later regressions", async () => {
    const run = await scenario("node", { "src/math.mjs": `${await mathJs()}\n` });
    const config = gateConfig({ deterministic: { commands: [{ run: "sleep 30", timeoutMinutes: 0.01 }] } });
    const cache = createMemoryBaselineCache();
    const first = await runDeterministicGate(run.input(config, cache));
    expect(first.commands?.[0]?.status).toBe("already-red");
    await runDeterministicGate(run.input(config, cache));
    expect(run.baselineRequests()).toBe(2);
  });

  it("keeps baseline results in a JSON file cache that a later process can read", async () => {
    const cacheDir = path.join(root, "cache");
    const run = await scenario("node", { "src/math.mjs": `${await mathJs()}\n` });
    const config = gateConfig({ deterministic: { commands: ["node --test test/"] } });
    await runDeterministicGate(run.input(config, createBaselineCache(cacheDir)));
    const second = await runDeterministicGate(run.input(config, createBaselineCache(cacheDir)));
    expect(run.baselineRequests()).toBe(1);
    expect(second.commands?.[0]?.status).toBe("already-red");
  });
});
