// The host's toolchains, made visible read-only inside the sandbox: the directories the bot's own PATH
// resolves to (with their version-manager roots: ~/.pyenv, ~/.cargo + ~/.rustup, nvm, /usr/local/go...),
// plus the operator's and the repository's extra mounts. Never a home directory as a whole, the data
// directory, a key file or autofix's own source.
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { isWithin } from "./programs.js";

export interface HostTools {
  /** Host paths shown read-only at their own path (and at their real path when that differs). */
  readOnlyPaths: string[];
  /** Directories of the bot's PATH (and extra mounts' bin/) visible inside, in the bot's order. */
  pathDirs: string[];
  /** Variables the toolchains need to find themselves (PYENV_ROOT, RUSTUP_HOME...); never secrets. */
  env: Record<string, string>;
  /** What was left out, and why: shown by `autofix doctor`. */
  refused: Array<{ path: string; reason: string }>;
}

/** Directories already shown by every sandbox (see bubblewrapArgs): nothing to mount for them. */
const systemDirs = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"];

/** Version managers keep every version, shim and library under one root: that root is the mount. */
const managerRoots: Record<string, (root: string) => Record<string, string>> = {
  ".pyenv": (root) => ({ PYENV_ROOT: root }),
  ".rbenv": (root) => ({ RBENV_ROOT: root }),
  ".nodenv": (root) => ({ NODENV_ROOT: root }),
  ".goenv": (root) => ({ GOENV_ROOT: root }),
  ".nvm": (root) => ({ NVM_DIR: root }),
  ".volta": (root) => ({ VOLTA_HOME: root }),
  ".asdf": (root) => ({ ASDF_DIR: root, ASDF_DATA_DIR: root }),
  ".fnm": () => ({}),
  ".bun": () => ({}),
  ".deno": () => ({}),
  ".sdkman": (root) => ({ SDKMAN_DIR: root }),
  // rustup's proxies in ~/.cargo/bin need the toolchains in the sibling ~/.rustup.
  ".cargo": (root): Record<string, string> => {
    const rustup = path.join(path.dirname(root), ".rustup");
    return existsSync(rustup) ? { RUSTUP_HOME: rustup } : {};
  },
  ".rustup": (root) => ({ RUSTUP_HOME: root }),
};

/** Never shown, even below a toolchain root: credentials and personal configuration. */
const sensitiveNames = new Set([
  ".ssh",
  ".gnupg",
  ".aws",
  ".azure",
  ".kube",
  ".docker",
  ".config",
  ".netrc",
  ".git-credentials",
  ".npmrc",
  ".pypirc",
  ".password-store",
]);
/** Home subdirectories too broad to show whole (~/.local/share holds keyrings); a bin below them is fine. */
const broadHomeDirs = new Set([".local", ".cache"]);
/** Host trees no toolchain mount may be or contain. */
const hostTrees = ["/", "/etc", "/proc", "/sys", "/dev", "/run", "/var", "/tmp", "/home", "/root", "/boot", "/srv", "/mnt", "/media"];

function realOrSelf(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

/** Home directories of the host: never mounted as a whole (they hold keys, tokens, shell history). */
export function homeDirectories(): string[] {
  const homes = new Set<string>([os.homedir(), "/root"]);
  if (process.env.HOME) homes.add(process.env.HOME);
  try {
    for (const entry of readdirSync("/home")) homes.add(path.join("/home", entry));
  } catch {
    // no /home
  }
  try {
    for (const line of readFileSync("/etc/passwd", "utf8").split("\n")) {
      const home = line.split(":")[5];
      if (home && (home.startsWith("/home/") || home.startsWith("/root"))) homes.add(home);
    }
  } catch {
    // no passwd: the defaults above stand
  }
  return [...homes].map((h) => path.resolve(h));
}

/** autofix's own package directory (its source, dist and node_modules), found from this file. */
export function botSourceRoot(): string | undefined {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 6; depth++) {
    try {
      const manifest = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")) as { name?: string };
      if (manifest.name === "autofix") return dir;
    } catch {
      // not here
    }
    dir = path.dirname(dir);
  }
  return undefined;
}

export interface HostToolsOptions {
  /** The bot's PATH (process.env.PATH by default). */
  pathEnv?: string;
  /** Operator mounts (AUTOFIX_SANDBOX_MOUNTS): directories shown read-only; a `bin` inside goes on PATH. */
  operatorMounts?: string[];
  /** Paths never shown, nor any directory holding them: the data directory, the key file. */
  forbidden?: string[];
  homes?: string[];
}

export class HostToolsPolicy {
  readonly forbidden: string[];
  readonly homes: string[];
  constructor(opts: { forbidden?: string[]; homes?: string[] }) {
    const source = botSourceRoot();
    const forbidden = [...(opts.forbidden ?? []), ...(source ? [source] : [])].map((p) => path.resolve(p));
    this.forbidden = [...new Set([...forbidden, ...forbidden.map(realOrSelf)])];
    this.homes = opts.homes ?? homeDirectories();
  }

  /** Why `candidate` may not be shown, or undefined when it may. */
  refusal(candidate: string): string | undefined {
    for (const p of [...new Set([candidate, realOrSelf(candidate)])]) {
      if (hostTrees.includes(p)) return `${p} is a whole host tree`;
      if (this.homes.some((home) => isWithin(home, p))) return `${p} is or holds a home directory`;
      const hit = this.forbidden.find((f) => isWithin(f, p) || isWithin(p, f));
      if (hit) return `${p} is or holds autofix's own files (${hit})`;
      if (p.split("/").some((part) => sensitiveNames.has(part))) return `${p} is personal configuration or credentials`;
      if (broadHomeDirs.has(path.basename(p)) && this.homes.includes(path.dirname(p))) return `${p} is too broad a part of a home directory`;
      if (["/proc", "/sys", "/dev", "/etc"].some((tree) => isWithin(p, tree))) return `${p} is inside a host system tree`;
    }
    return undefined;
  }
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** Mount candidates for one PATH directory, best first: its manager root, its prefix (…/bin → …), itself. */
function candidatesFor(dir: string): Array<{ root: string; env: Record<string, string> }> {
  const parts = dir.split("/");
  const out: Array<{ root: string; env: Record<string, string> }> = [];
  const managerAt = parts.findIndex((part) => part in managerRoots);
  if (managerAt > 0) {
    const root = parts.slice(0, managerAt + 1).join("/");
    out.push({ root, env: managerRoots[parts[managerAt]!]!(root) });
  }
  if (["bin", "sbin"].includes(path.basename(dir))) out.push({ root: path.dirname(dir), env: {} });
  out.push({ root: dir, env: {} });
  return out;
}

export function discoverHostTools(opts: HostToolsOptions = {}): HostTools {
  const policy = new HostToolsPolicy(opts);
  const tools: HostTools = { readOnlyPaths: [], pathDirs: [], env: {}, refused: [] };
  const show = (root: string): void => {
    for (const p of new Set([root, realOrSelf(root)])) if (!tools.readOnlyPaths.includes(p)) tools.readOnlyPaths.push(p);
  };
  const pathEnv = opts.pathEnv ?? process.env.PATH ?? "";
  for (const raw of pathEnv.split(":")) {
    if (!raw || !path.isAbsolute(raw)) continue;
    const dir = path.resolve(raw);
    if (tools.pathDirs.includes(dir) || tools.refused.some((r) => r.path === dir) || !isDirectory(dir)) continue;
    const inSystem = (p: string) => systemDirs.some((s) => isWithin(p, s));
    if (inSystem(dir) && inSystem(realOrSelf(dir))) {
      tools.pathDirs.push(dir);
      continue;
    }
    const chosen = candidatesFor(dir).find((c) => isDirectory(c.root) && !policy.refusal(c.root));
    if (!chosen) {
      tools.refused.push({ path: dir, reason: policy.refusal(dir) ?? "not a directory" });
      continue;
    }
    show(chosen.root);
    for (const [name, value] of Object.entries(chosen.env)) {
      if (tools.env[name] !== undefined) continue;
      // A sibling root named by the manager (~/.rustup beside ~/.cargo) is shown too, if allowed.
      if (value !== chosen.root && isDirectory(value)) {
        const why = policy.refusal(value);
        if (why) {
          tools.refused.push({ path: value, reason: why });
          continue;
        }
        show(value);
      }
      tools.env[name] = value;
    }
    tools.pathDirs.push(dir);
  }
  for (const mount of opts.operatorMounts ?? []) addMount(tools, policy, mount);
  return tools;
}

/** One extra directory (operator or repository): shown read-only, its bin/ on PATH first. */
export function addMount(tools: HostTools, policy: HostToolsPolicy, mount: string): void {
  const dir = path.resolve(mount);
  const why = !path.isAbsolute(mount) ? "not an absolute path" : !isDirectory(dir) ? "not a directory on this host" : policy.refusal(dir);
  if (why) {
    tools.refused.push({ path: mount, reason: why });
    return;
  }
  for (const p of new Set([dir, realOrSelf(dir)])) if (!tools.readOnlyPaths.includes(p)) tools.readOnlyPaths.push(p);
  const bin = path.basename(dir) === "bin" ? dir : path.join(dir, "bin");
  if (isDirectory(bin) && !tools.pathDirs.includes(bin)) tools.pathDirs.unshift(bin);
}

/** The request's PATH with the visible host directories in the bot's order, after the request's own extras. */
export function mergePath(requestPath: string | undefined, hostPathDirs: string[]): string {
  const dirs = (requestPath ?? "").split(":").filter(Boolean);
  const firstSystem = dirs.findIndex((d) => systemDirs.some((s) => isWithin(d, s)) || d.startsWith("/usr/"));
  const prefix = firstSystem < 0 ? dirs : dirs.slice(0, firstSystem);
  const rest = firstSystem < 0 ? [] : dirs.slice(firstSystem);
  return [...new Set([...prefix, ...hostPathDirs, ...rest])].join(":");
}
