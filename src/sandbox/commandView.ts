// A copy-on-write view of a directory for one run: an overlay mounted inside the sandbox's own user and mount
// namespaces (Debian 12's bubblewrap 0.8 has no --overlay). The directory itself is bound read-only beneath,
// so a command that unmounts the overlay finds a read-only tree, never a writable spawn.
import { execFile } from "node:child_process";
import { mkdir } from "node:fs/promises";
import path from "node:path";

export const unsharePath = "/usr/bin/unshare";
export const mountPath = "/usr/bin/mount";

/** The view's writable layer and overlayfs's work directory: one parent, as overlayfs requires one mount for both. */
export function viewDirs(viewDir: string): { upper: string; work: string } {
  return { upper: path.join(viewDir, "upper"), work: path.join(viewDir, "work") };
}

function escapeOption(p: string): string {
  // overlayfs splits its options on commas and lowerdir on colons.
  return p.replace(/\\/g, "\\\\").replace(/,/g, "\\,").replace(/:/g, "\\:");
}

/**
 * argv that mounts the overlay over `dir` in a fresh user+mount namespace, re-enters it and runs `argv`.
 * The nested namespace maps its root to the sandbox's unprivileged user (mapping uid 0 would need CAP_SETFCAP).
 */
export function viewArgv(dir: string, viewDir: string, argv: string[], layer?: string): string[] {
  const { upper, work } = viewDirs(viewDir);
  // The leftmost lower layer is on top: the layer's files and whiteouts hide the spawn's beneath them.
  const lower = layer ? `${escapeOption(layer)}:${escapeOption(dir)}` : escapeOption(dir);
  // userxattr: overlayfs keeps its bookkeeping in user.* xattrs, the only ones an unprivileged mount may
  // write; without it renaming even a new directory fails with EXDEV (cargo's target/ does that).
  const options = `userxattr,lowerdir=${lower},upperdir=${escapeOption(upper)},workdir=${escapeOption(work)}`;
  const script = `${mountPath} -t overlay autofix-view -o "$1" "$0" && cd "$0" && shift && exec "$@"`;
  return [unsharePath, "--user", "--map-root-user", "--mount", "/bin/sh", "-c", script, dir, options, ...argv];
}

export const mknodPath = "/usr/bin/mknod";
export const MAX_WHITEOUTS = 5_000;

/**
 * Creates overlayfs whiteouts (character devices 0/0) at `paths` under `layerDir`, the parents first. Linux
 * lets any user create a whiteout since 5.8; Node has no mknod, so a shell loop makes them, a batch per process.
 */
export async function makeWhiteouts(layerDir: string, paths: string[]): Promise<void> {
  // ~1.5 ms each (a process per path): past this many a separate checkout is the cheaper way to the base tree.
  if (paths.length > MAX_WHITEOUTS) throw new Error(`${paths.length} added paths would have to be hidden (more than ${MAX_WHITEOUTS})`);
  const targets = paths.map((p) => path.join(layerDir, ...p.split("/")));
  for (const target of targets) await mkdir(path.dirname(target), { recursive: true });
  for (let i = 0; i < targets.length; i += 500) {
    const batch = targets.slice(i, i + 500);
    await new Promise<void>((resolve, reject) =>
      execFile("/bin/sh", ["-c", `for p; do ${mknodPath} "$p" c 0 0 || exit 1; done`, "sh", ...batch], (err, _out, stderr) =>
        err ? reject(new Error(`hiding added files from the base side failed: ${stderr.trim() || err.message}`)) : resolve(),
      ),
    );
  }
}
