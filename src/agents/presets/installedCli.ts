// What the CLI presets share: where an agent CLI is installed and which version it is (found without running
// it in the spawn), so a preset can refuse an untested version and show the sandbox the install directory;
// and the operator's endpoint settings, checked before anything starts.
import { execFile } from "node:child_process";
import { existsSync, readFileSync, realpathSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { AutofixError } from "../../errors.js";
import { fixedPath } from "../env.js";
import { findOnPath, isWithin } from "../../sandbox/index.js";
export { findOnPath, isWithin };

export interface InstalledCli {
  /** The program as found on PATH (may be a symlink, e.g. node_modules/.bin/codex). */
  binPath: string;
  /** Its version, from the npm package that ships it or else from `--version`. */
  version?: string;
  /** Host directories the sandbox must show read-only so the CLI can start (empty under system dirs). */
  readOnlyPaths: string[];
}

/** Directories bubblewrap always shows; an install below them needs no extra mount. */
const systemDirs = ["/usr", "/bin", "/sbin", "/lib", "/lib64", "/opt"];

/** The npm package directory holding `file`, by walking up to a package.json with the expected name. */
function packageDir(file: string, packageName: string): string | undefined {
  let dir = path.dirname(file);
  for (let depth = 0; depth < 8 && dir !== path.dirname(dir); depth++) {
    const manifest = path.join(dir, "package.json");
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, "utf8")) as { name?: string }).name === packageName) return dir;
      } catch {
        // an unreadable manifest is not ours
      }
    }
    dir = path.dirname(dir);
  }
  return undefined;
}

/** `<program> --version`, for a CLI not installed from npm; asynchronous so a slow CLI never blocks the bot. */
function versionFromCli(binPath: string, searchPath: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(binPath, ["--version"], { env: { PATH: searchPath }, encoding: "utf8", timeout: 10_000 }, (err, stdout) =>
      resolve(err ? undefined : /\d+\.\d+\.\d+/.exec(stdout)?.[0]),
    );
  });
}

export async function locateCli(program: string, packageName: string, searchPath: string): Promise<InstalledCli | undefined> {
  const binPath = findOnPath(program, searchPath);
  if (!binPath) return undefined;
  const real = realpathSync(binPath);
  const pkgDir = packageDir(real, packageName);
  let version: string | undefined;
  const mounts = [path.dirname(binPath)];
  if (pkgDir) {
    version = (JSON.parse(readFileSync(path.join(pkgDir, "package.json"), "utf8")) as { version?: string }).version;
    // The whole node_modules: the wrapper package finds its platform package (the native binary) beside it.
    const at = pkgDir.lastIndexOf("/node_modules/");
    mounts.push(at >= 0 ? pkgDir.slice(0, at + "/node_modules".length) : pkgDir);
  } else {
    version = await versionFromCli(binPath, searchPath);
    mounts.push(path.dirname(real));
  }
  const readOnlyPaths = [...new Set(mounts)].filter((p) => !systemDirs.some((s) => isWithin(p, s)));
  return { binPath, version, readOnlyPaths };
}

export class AgentCliMissing extends AutofixError {
  constructor(preset: string, program: string, installHint: string) {
    super(
      "AGENT_CLI_MISSING",
      {
        what: `The ${preset} agent could not start: ${program} not found on PATH.`,
        why: `The repository's config chose the ${preset} preset, which runs the ${program} program installed on the autofix host.`,
        next: `Install it with \`${installHint}\` (or put its directory on the agent's PATH), then retry.`,
      },
      { data: { preset, program } },
    );
  }
}

export class AgentCliUntested extends AutofixError {
  constructor(preset: string, program: string, found: string, tested: string, installHint: string, allowSetting: string) {
    super(
      "AGENT_CLI_UNTESTED",
      {
        what: `The ${preset} agent was not started: ${program} ${found} is installed, but autofix is tested with ${tested}.`,
        why: `${program}'s flags and output change between releases; an untested version can exit 0 having edited nothing, or report wrongly.`,
        next: `Install the tested version with \`${installHint}\`, or set ${allowSetting}=true to run ${found} anyway.`,
      },
      { data: { preset, program, found, tested } },
    );
  }
}

/** Locate the CLI and hold it to the tested version unless the operator allowed others. */
export async function requireCli(opts: {
  preset: string;
  program: string;
  packageName: string;
  testedVersion: string;
  installHint: string;
  allowSetting: string;
  allowUntested: boolean;
  searchPath: string;
}): Promise<InstalledCli> {
  const cli = await locateCli(opts.program, opts.packageName, opts.searchPath);
  if (!cli) throw new AgentCliMissing(opts.preset, opts.program, opts.installHint);
  if (!opts.allowUntested && cli.version !== opts.testedVersion) {
    throw new AgentCliUntested(opts.preset, opts.program, cli.version ?? "of unknown version", opts.testedVersion, opts.installHint, opts.allowSetting);
  }
  return cli;
}

/**
 * Where to look when the command agent did not say (PresetContext.searchPath): the bot's own PATH, then the
 * agent's fixed PATH (system dirs and the Node installation's bin, where `npm i -g` puts the CLIs).
 */
export function agentSearchPath(): string {
  return [process.env.PATH, fixedPath()].filter(Boolean).join(":");
}

/** An operator's boolean setting: "true" or "1". */
export function isTrue(value: string | undefined): boolean {
  return value === "true" || value === "1";
}

export class AgentEndpointInvalid extends AutofixError {
  constructor(setting: string, value: string) {
    super(
      "AGENT_ENDPOINT_INVALID",
      {
        what: `The agent was not started: ${setting} is not a URL.`,
        why: `${setting} tells the agent CLI which endpoint to call; "${value}" cannot be parsed as http(s)://host[:port][/path].`,
        next: `Set ${setting} to the gateway's URL (see docs/agents.md), or unset it to use the vendor's API.`,
      },
      { data: { setting } },
    );
  }
}

export function endpointSetting(operatorEnv: Record<string, string | undefined>, setting: string): string | undefined {
  const value = operatorEnv[setting]?.trim();
  if (!value) return undefined;
  if (!z.url({ protocol: /^https?$/ }).safeParse(value).success) throw new AgentEndpointInvalid(setting, value);
  return value.replace(/\/+$/, "");
}

/** "host:port" of an endpoint URL, the form network `allow` lists. */
export function hostPort(url: string): string {
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port || (parsed.protocol === "https:" ? "443" : "80")}`;
}
