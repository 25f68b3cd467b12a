// Toolchains laid out the way users have them (pyenv and rustup under a home directory, Go in a non-system
// prefix): the bot's own PATH decides what the sandbox shows, and the repository's real checks run red →
// green inside it. The same repositories with the toolchain hidden give "no checks ran", never a pass.
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runDeterministicGate } from "../../src/gates/deterministic.js";
import { createSandbox, type Sandbox } from "../../src/sandbox/index.js";
import { gateScenario, regressionFixtures as fixtures } from "../support/gateScenario.js";
let root: string;
/** A user's home directory holding ~/.pyenv and ~/.cargo + ~/.rustup (links to this machine's real ones). */
let home: string;
let goPrefix: string;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), "sandbox-toolchains-"));
  home = path.join(root, "home", "dev");
  await mkdir(home, { recursive: true });
  await symlink("/root/.pyenv", path.join(home, ".pyenv"));
  await symlink("/root/.cargo", path.join(home, ".cargo"));
  await symlink("/root/.rustup", path.join(home, ".rustup"));
  await writeFile(path.join(home, ".netrc"), "machine example.com password secret\n");
  // Go unpacked in a prefix of its own (as from go.dev's tarball): its own go binary, the rest linked.
  goPrefix = path.join(root, "opt", "go");
  await mkdir(path.join(goPrefix, "bin"), { recursive: true });
  await cp("/usr/lib/go-1.19/bin/go", path.join(goPrefix, "bin", "go"));
  await cp("/usr/lib/go-1.19/VERSION", path.join(goPrefix, "VERSION"));
  for (const part of ["pkg", "src", "api", "misc"]) await symlink(path.join("/usr/lib/go-1.19", part), path.join(goPrefix, part));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const scenario = (sandbox: Sandbox, fixture: string, extra: Record<string, string>, changes: Record<string, string>) =>
  gateScenario(root, sandbox, fixture, extra, changes);

const sandboxWith = (hostPath: string) => createSandbox({ mode: "required", hostPath, homes: [home, "/root"] });

describe("Python with pytest from pyenv under a home directory", () => {
  // pytest 9 lives only in pyenv's Python; the system's is 7.2, which this repository refuses.
  const pytest9 = { "pytest.ini": "[pytest]\naddopts = -q\nminversion = 9.0\n" };
  const fixedCalc = async () =>
    (await readFile(path.join(fixtures, "pytest/calc.py"), "utf8")).replace("def sub(a, b):\n    return a + b", "def sub(a, b):\n    return a - b");

  it("runs the repository's checks with pyenv's Python red → green, showing ~/.pyenv but not the home directory", async () => {
    const sandbox = await sandboxWith(`${home}/.pyenv/shims:/usr/bin:/bin`);
    expect(sandbox.description.readOnlyPaths).toContain(path.join(home, ".pyenv"));
    expect(sandbox.description.readOnlyPaths).not.toContain(home);
    expect(sandbox.description.env.PYENV_ROOT).toBe(path.join(home, ".pyenv"));
    const run = await scenario(sandbox, "pytest", pytest9, { "calc.py": await fixedCalc() });
    const result = await runDeterministicGate(run.input());
    expect(result.status).toBe("pass");
    expect(result.commands?.[0]).toMatchObject({ status: "fixed", tests: { fixed: ["test_calc > test_sub"] } });

    const probe = await sandbox.run({
      argv: ["/bin/sh", "-c", `cat ${home}/.netrc; python3 -c 'import pytest; print(pytest.__version__)'`],
      cwd: run.spawnDir,
      env: { PATH: "/usr/bin:/bin", HOME: "/tmp" },
      timeoutMs: 60_000,
      network: "none",
    });
    expect(probe.outputTail).toMatch(/^9\./m);
    expect(probe.outputTail).not.toContain("secret");
  });

  it("says no checks ran when pyenv is hidden and the system's pytest cannot run the suite", async () => {
    const sandbox = await sandboxWith("/usr/bin:/bin");
    const run = await scenario(sandbox, "pytest", pytest9, { "calc.py": await fixedCalc() });
    const result = await runDeterministicGate(run.input());
    expect(result.status).toBe("error");
    expect(result.summary).toMatch(/^No checks ran: `python3 -m pytest -p no:cacheprovider`/);
    expect(result.reasons[0]).toContain("on the base commit");
    expect(result.reasons[0]).toContain("AUTOFIX_SANDBOX_MOUNTS");
  });

  it("says no checks ran, naming the module, when the repository's Python version has no pytest", async () => {
    const sandbox = await sandboxWith(`${home}/.pyenv/shims:/usr/bin:/bin`);
    const run = await scenario(sandbox, "pytest", { ".python-version": "3.12.1\n" }, { "calc.py": await fixedCalc() });
    const result = await runDeterministicGate(run.input());
    expect(result.status).toBe("error");
    expect(result.reasons[0]).toContain("no checks ran: `python3 -m pytest -p no:cacheprovider` on the base commit — No module named pytest");
    expect(result.reasons[0]).toContain("install pytest");
  });
});

describe("Rust from rustup under a home directory", () => {
  // Edition 2024 needs a recent cargo: rustup's stable has it, the system's cargo 0.66 does not.
  const manifest = { "Cargo.toml": '[package]\nname = "calc"\nversion = "0.1.0"\nedition = "2024"\n\n[dependencies]\n' };
  const fixedLib = async () =>
    (await readFile(path.join(fixtures, "cargo/src/lib.rs"), "utf8")).replace(
      "pub fn sub(a: i32, b: i32) -> i32 {\n    a + b",
      "pub fn sub(a: i32, b: i32) -> i32 {\n    a - b",
    );

  it("runs cargo test through ~/.cargo's proxies and ~/.rustup's toolchain, red → green", async () => {
    const sandbox = await sandboxWith(`${home}/.cargo/bin:/usr/bin:/bin`);
    expect(sandbox.description.env.RUSTUP_HOME).toBe(path.join(home, ".rustup"));
    const run = await scenario(sandbox, "cargo", manifest, { "src/lib.rs": await fixedLib() });
    const result = await runDeterministicGate(run.input());
    expect(result.status).toBe("pass");
    expect(result.commands?.[0]).toMatchObject({ status: "fixed", tests: { fixed: ["src/lib.rs > tests::subtracts"] } });
  });

  it("says no checks ran when rustup is hidden and the system's cargo cannot build the crate", async () => {
    const sandbox = await sandboxWith("/usr/bin:/bin");
    const run = await scenario(sandbox, "cargo", manifest, { "src/lib.rs": await fixedLib() });
    const result = await runDeterministicGate(run.input());
    expect(result.status).toBe("error");
    expect(result.summary).toContain("No checks ran: `cargo test --no-fail-fast`");
  });
});

describe("Go from a non-system prefix", () => {
  const goMod = "module calc\n\ngo 1.19\n";
  const calc = (op: string) => `package calc\n\nfunc Sub(a, b int) int { return a ${op} b }\n`;
  const calcTest = (prefix: string) =>
    `package calc\n\nimport (\n\t"runtime"\n\t"strings"\n\t"testing"\n)\n\nfunc TestSub(t *testing.T) {\n\tif Sub(3, 1) != 2 {\n\t\tt.Fatal("sub")\n\t}\n}\n\nfunc TestToolchain(t *testing.T) {\n\tif !strings.HasPrefix(runtime.GOROOT(), "${prefix}") {\n\t\tt.Fatal(runtime.GOROOT())\n\t}\n}\n`;

  it("runs go test with the prefix's go on PATH, red → green", async () => {
    const sandbox = await sandboxWith(`${goPrefix}/bin:/usr/bin:/bin`);
    expect(sandbox.description.readOnlyPaths).toContain(goPrefix);
    const run = await scenario(sandbox, "", { "go.mod": goMod, "calc.go": calc("+"), "calc_test.go": calcTest(goPrefix) }, { "calc.go": calc("-") });
    const result = await runDeterministicGate(run.input());
    expect(result.status).toBe("pass");
    expect(result.commands?.[0]).toMatchObject({ status: "fixed", tests: { fixed: ["calc > TestSub"] } });
  });
});
