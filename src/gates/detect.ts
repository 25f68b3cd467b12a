// Finds the repository's own test command when its config names none (issue 12): from package.json
// and its lockfile, pytest's config files, go.mod, Cargo.toml, or a Makefile `test:` target.
import { readSpawnFile } from "../sandbox/index.js";

export interface CommandSpec {
  name: string;
  run: string;
  timeoutMs: number;
  /** Configured: report path relative to the working directory. */
  junit?: string;
  /**
   * Arguments appended so the command writes a JUnit report; `{report}` becomes a (quoted) scratch path.
   * Only where it is simple and safe: pytest's --junitxml, vitest's built-in junit reporter through npm.
   */
  injectJunitArgs?: string;
  /** The manifest the command was detected from, for the report. */
  detectedFrom?: string;
}

const defaultTimeoutMs = 15 * 60_000;

/** Root files whose content decides which command is detected. */
export const detectionSources = new Set([
  "package.json",
  "package-lock.json",
  "pnpm-lock.yaml",
  "yarn.lock",
  "pyproject.toml",
  "pytest.ini",
  "setup.cfg",
  "tox.ini",
  "go.mod",
  "Cargo.toml",
  "Makefile",
  "makefile",
  "GNUmakefile",
]);
const npmDefaultTest = /no test specified/;

/** Manifests bigger than this are not manifests: detection ignores them rather than read them whole. */
const maxManifestBytes = 1024 * 1024;

/**
 * A root file of the spawn, read with the bot's privileges but never through a link (go.mod pointing at a host
 * file, package.json at /dev/zero): only a regular file up to maxManifestBytes, else "absent".
 */
function readText(dir: string, file: string): Promise<string | undefined> {
  return readSpawnFile(dir, file, maxManifestBytes);
}

async function exists(dir: string, file: string): Promise<boolean> {
  return (await readText(dir, file)) !== undefined;
}

async function detectNode(dir: string): Promise<CommandSpec | undefined> {
  const text = await readText(dir, "package.json");
  if (text === undefined) return undefined;
  let manifest: { scripts?: Record<string, unknown>; packageManager?: unknown };
  try {
    manifest = JSON.parse(text) as typeof manifest;
  } catch {
    return undefined;
  }
  const script = manifest.scripts?.test;
  if (typeof script !== "string" || !script.trim() || npmDefaultTest.test(script)) return undefined;
  const declared = typeof manifest.packageManager === "string" ? manifest.packageManager.split("@")[0] : undefined;
  let manager = "npm";
  let lockfile = "";
  if (declared === "pnpm" || (await exists(dir, "pnpm-lock.yaml"))) [manager, lockfile] = ["pnpm", "pnpm-lock.yaml"];
  else if (declared === "yarn" || (await exists(dir, "yarn.lock"))) [manager, lockfile] = ["yarn", "yarn.lock"];
  else if (await exists(dir, "package-lock.json")) lockfile = "package-lock.json";
  const from = lockfile ? `package.json (scripts.test; ${lockfile} implies ${manager})` : "package.json (scripts.test)";
  const spec: CommandSpec = { name: `${manager} test`, run: `${manager} test`, timeoutMs: defaultTimeoutMs, detectedFrom: from };
  // npm forwards what follows `--` to the script; pnpm and yarn differ between versions, so only npm.
  if (manager === "npm" && /^vitest(\s+run)?(\s|$)/.test(script.trim()) && !/--reporter/.test(script)) {
    spec.injectJunitArgs = "-- --reporter=default --reporter=junit --outputFile.junit={report}";
  }
  return spec;
}

async function detectPytest(dir: string): Promise<CommandSpec | undefined> {
  const sources: [string, (text: string) => boolean][] = [
    ["pyproject.toml", (t) => /^\[tool\.pytest(\.ini_options)?\]/m.test(t)],
    ["pytest.ini", () => true],
    ["setup.cfg", (t) => /^\[tool:pytest\]/m.test(t)],
    ["tox.ini", (t) => /^\[pytest\]/m.test(t)],
  ];
  for (const [file, matches] of sources) {
    const text = await readText(dir, file);
    if (text === undefined || !matches(text)) continue;
    return {
      name: "pytest",
      run: "python3 -m pytest -p no:cacheprovider",
      timeoutMs: defaultTimeoutMs,
      injectJunitArgs: "--junitxml={report}",
      detectedFrom: file,
    };
  }
  return undefined;
}

async function detectGo(dir: string): Promise<CommandSpec | undefined> {
  if (!(await exists(dir, "go.mod"))) return undefined;
  // -json gives one event per test, which is what per-test regression reads.
  return { name: "go test", run: "go test -json ./...", timeoutMs: defaultTimeoutMs, detectedFrom: "go.mod" };
}

async function detectCargo(dir: string): Promise<CommandSpec | undefined> {
  if (!(await exists(dir, "Cargo.toml"))) return undefined;
  // --no-fail-fast: a failure in one test binary must not hide the results of the others.
  return { name: "cargo test", run: "cargo test --no-fail-fast", timeoutMs: defaultTimeoutMs, detectedFrom: "Cargo.toml" };
}

async function detectMake(dir: string): Promise<CommandSpec | undefined> {
  for (const file of ["Makefile", "makefile", "GNUmakefile"]) {
    const text = await readText(dir, file);
    if (text !== undefined && /^test\s*:(?!=)/m.test(text)) {
      return { name: "make test", run: "make test", timeoutMs: defaultTimeoutMs, detectedFrom: `${file} (test target)` };
    }
  }
  return undefined;
}

/**
 * Every ecosystem found at the repository root contributes its command. A Makefile `test:` target is
 * used only when no manifest names a test command: it usually wraps one of them, and running both
 * would double the time for nothing.
 */
export async function detectCommands(dir: string): Promise<CommandSpec[]> {
  const found = (await Promise.all([detectNode(dir), detectPytest(dir), detectGo(dir), detectCargo(dir)])).filter(
    (spec): spec is CommandSpec => spec !== undefined,
  );
  if (found.length > 0) return found;
  const make = await detectMake(dir);
  return make ? [make] : [];
}

/** Commands from the repository config, in the same shape as detected ones. */
export function configuredCommands(commands: { run: string; timeoutMinutes: number; name?: string; junit?: string }[]): CommandSpec[] {
  return commands.map((c) => ({
    name: c.name ?? c.run,
    run: c.run,
    timeoutMs: c.timeoutMinutes * 60_000,
    ...(c.junit ? { junit: c.junit } : {}),
  }));
}
