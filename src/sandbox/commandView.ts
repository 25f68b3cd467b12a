// A copy-on-write view of a directory for one run: an overlay mounted inside the sandbox's own user and mount
// namespaces (Debian 12's bubblewrap 0.8 has no --overlay). The directory itself is bound read-only beneath,
// so a command that unmounts the overlay finds a read-only tree, never a writable spawn.
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
export function viewArgv(dir: string, viewDir: string, argv: string[]): string[] {
  const { upper, work } = viewDirs(viewDir);
  // userxattr: overlayfs keeps its bookkeeping in user.* xattrs, the only ones an unprivileged mount may
  // write; without it renaming even a new directory fails with EXDEV (cargo's target/ does that).
  const options = `userxattr,lowerdir=${escapeOption(dir)},upperdir=${escapeOption(upper)},workdir=${escapeOption(work)}`;
  const script = `${mountPath} -t overlay autofix-view -o "$1" "$0" && cd "$0" && shift && exec "$@"`;
  return [unsharePath, "--user", "--map-root-user", "--mount", "/bin/sh", "-c", script, dir, options, ...argv];
}
