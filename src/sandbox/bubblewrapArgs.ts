// The bubblewrap command line for one request: a fresh root holding only the system directories (read-only),
// the spawn and the paths the caller names. Nothing else of the host exists inside: no data directory, no key,
// no other job's spawn, no home directory.
import { existsSync, lstatSync, readlinkSync, realpathSync } from "node:fs";
import path from "node:path";
import type { SandboxRequest } from "./types.js";
import { SandboxRequestRefused } from "./errors.js";
import { isWithin } from "./programs.js";

/** Top-level system directories programs need; bound read-only, or recreated as the symlinks they are on merged-/usr hosts. */
const systemDirs = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"];

/**
 * The few files of /etc that programs need to resolve names, verify TLS, find users and run linked binaries.
 * Not /etc as a whole: it may hold the operator's configuration (and /etc/shadow).
 */
const etcEntries = [
  "/etc/alternatives",
  "/etc/ca-certificates",
  "/etc/ssl",
  "/etc/pki",
  "/etc/resolv.conf",
  "/etc/hosts",
  "/etc/host.conf",
  "/etc/nsswitch.conf",
  "/etc/gai.conf",
  "/etc/services",
  "/etc/protocols",
  "/etc/passwd",
  "/etc/group",
  "/etc/localtime",
  "/etc/ld.so.cache",
  "/etc/ld.so.conf",
  "/etc/ld.so.conf.d",
  "/etc/mime.types",
];

/** The Node installation running autofix, so agents written in Node run; nothing when it already lives under /usr. */
export function nodeInstallDir(execPath = process.execPath): string | undefined {
  const real = realpathSync(execPath);
  const installDir = path.dirname(path.dirname(real));
  return systemDirs.some((dir) => isWithin(installDir, dir)) ? undefined : installDir;
}

function realpathOr(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

/** The shallowest directory on the way to `p` that is a symbolic link, and its resolved target. */
function linkedAncestor(p: string): { link: string; target: string } | undefined {
  const parts = p.split("/").filter(Boolean);
  for (let i = 1; i < parts.length; i++) {
    const prefix = `/${parts.slice(0, i).join("/")}`;
    try {
      if (lstatSync(prefix).isSymbolicLink()) return systemDirs.includes(prefix) ? undefined : { link: prefix, target: realpathSync(prefix) };
    } catch {
      return undefined;
    }
  }
  return undefined;
}

function checkedPath(p: string): string {
  const resolved = path.resolve(p);
  if (resolved === "/") throw new SandboxRequestRefused(p, "Binding the host's root directory would expose every file on the host.");
  return resolved;
}

function systemMounts(): string[] {
  const args: string[] = [];
  for (const dir of systemDirs) {
    if (!existsSync(dir)) continue;
    const stat = lstatSync(dir);
    if (stat.isSymbolicLink()) args.push("--symlink", readlinkSync(dir), dir);
    else args.push("--ro-bind", dir, dir);
  }
  for (const entry of etcEntries) args.push("--ro-bind-try", entry, entry);
  return args;
}

/** The sandbox user of view runs (any non-zero uid; it maps to autofix's own). */
const viewUid = 1000;

const tmpfsBytes = { tmp: 512 * 1024 * 1024, small: 64 * 1024 * 1024 };

export interface BwrapArgsOptions {
  /** Extra read-only directories every run needs (the Node installation when outside /usr). */
  baseReadOnlyPaths: string[];
}

/** bwrap options (without the "--" that ends them); the caller appends "--" and the (limit-wrapped) argv. */
export function bubblewrapArgs(request: SandboxRequest, opts: BwrapArgsOptions): string[] {
  const args = ["--unshare-all"];
  // A view's overlay is mounted in a nested user namespace, whose root may map only to a non-zero uid.
  if (request.view) args.push("--unshare-user", "--uid", String(viewUid), "--gid", String(viewUid));
  if (request.network === "open") args.push("--share-net");
  args.push(
    "--die-with-parent",
    // A new session: the command cannot push keystrokes into the bot's terminal (TIOCSTI).
    "--new-session",
    "--cap-drop",
    "ALL",
    "--hostname",
    "autofix-sandbox",
    ...systemMounts(),
    "--proc",
    "/proc",
    "--dev",
    "/dev",
    // --dev's own tmpfs is unbounded (half the host's memory): POSIX shared memory gets a sized one.
    "--size",
    String(tmpfsBytes.small),
    "--tmpfs",
    "/dev/shm",
    // Scratch space that vanishes with the sandbox; sized so a runaway writer fills it, not the host's memory.
    "--size",
    String(tmpfsBytes.tmp),
    "--tmpfs",
    "/tmp",
    "--size",
    String(tmpfsBytes.small),
    "--tmpfs",
    "/var/tmp",
    "--size",
    String(tmpfsBytes.small),
    "--tmpfs",
    "/run",
  );

  // Parents before children, so a read-only path inside a writable one (or the reverse) keeps its own mode.
  // Under a view the directory is only the overlay's lower layer: read-only, writes go to the view.
  const binds: Array<{ path: string; writable: boolean }> = [
    { path: checkedPath(request.cwd), writable: !request.view },
    ...(request.view ? [{ path: checkedPath(request.view.dir), writable: true }] : []),
    ...opts.baseReadOnlyPaths.map((p) => ({ path: checkedPath(p), writable: false })),
    ...(request.readOnlyPaths ?? []).map((p) => ({ path: checkedPath(p), writable: false })),
    ...(request.writablePaths ?? []).map((p) => ({ path: checkedPath(p), writable: true })),
  ];
  binds.sort((a, b) => a.path.split("/").length - b.path.split("/").length);
  // A read-only path under a linked directory (a worktree's .tools -> the main checkout's) is shown at its
  // real place, with the link recreated: relative links inside it then resolve as on the host.
  const linked = new Map<string, string>();
  for (const bind of binds) {
    if (bind.writable) continue;
    const ancestor = linkedAncestor(bind.path);
    if (!ancestor || binds.some((b) => b.writable && isWithin(b.path, ancestor.link))) continue;
    linked.set(ancestor.link, ancestor.target);
    bind.path = realpathOr(bind.path);
  }
  for (const [link, target] of linked) args.push("--symlink", target, link);
  for (const bind of binds) {
    if (bind.path === checkedPath(request.cwd)) args.push(bind.writable ? "--bind" : "--ro-bind", bind.path, bind.path);
    else args.push(bind.writable ? "--bind-try" : "--ro-bind-try", bind.path, bind.path);
  }

  // The root itself (the mount points bwrap created) and /dev become read-only: a write outside the spawn,
  // the named paths and the sized scratch tmpfs fails instead of landing in memory. Device nodes still work.
  args.push("--remount-ro", "/", "--remount-ro", "/dev");
  // bwrap sets PWD to the working directory after --clearenv: it is the spawn's path, nothing secret.
  args.push("--chdir", checkedPath(request.cwd), "--clearenv");
  for (const [name, value] of Object.entries(request.env)) args.push("--setenv", name, value);
  return args;
}
