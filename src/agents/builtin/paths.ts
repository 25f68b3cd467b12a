// Confines every path the built-in agent names to its spawn: no absolute paths, no `..` escapes, nothing
// under `.git`, and no symlink whose target resolves outside (checked on the real path, not the string).
import { lstat, realpath } from "node:fs/promises";
import path from "node:path";

/** A refusal the model reads as a tool result; the loop goes on. */
export class ToolError extends Error {}

export interface ResolvedPath {
  /** Absolute path inside the spawn (not resolved through links). */
  absolute: string;
  /** Path relative to the spawn root, with `/` separators, as the model should name it. */
  relative: string;
}

function isInside(child: string, root: string): boolean {
  const rel = path.relative(root, child);
  return rel === "" || (!rel.startsWith(`..${path.sep}`) && rel !== ".." && !path.isAbsolute(rel));
}

function touchesGitDir(relative: string): boolean {
  return relative.split(/[\\/]/).some((segment) => segment.toLowerCase() === ".git");
}

/**
 * Resolve a model-supplied path against the spawn's real root. `root` must already be a realpath.
 * For writes the target may not exist yet: its nearest existing ancestor must resolve inside.
 */
export async function resolveInSpawn(root: string, requested: unknown, purpose: "read" | "write"): Promise<ResolvedPath> {
  if (typeof requested !== "string" || requested.trim() === "") throw new ToolError("A path is required (relative to the repository root).");
  if (requested.includes("\0")) throw new ToolError("The path contains a NUL byte.");
  if (path.isAbsolute(requested) || /^[A-Za-z]:[\\/]/.test(requested) || requested.startsWith("~")) {
    throw new ToolError(`"${requested}" is an absolute path. Use a path relative to the repository root, e.g. "src/index.js".`);
  }
  const absolute = path.resolve(root, requested);
  if (!isInside(absolute, root)) {
    throw new ToolError(`"${requested}" points outside the repository. Only files inside the current directory are available.`);
  }
  const relative = path.relative(root, absolute).split(path.sep).join("/") || ".";
  if (touchesGitDir(relative)) {
    throw new ToolError(`"${requested}" is inside .git, which is off limits: autofix reads your change from the working tree.`);
  }

  // Resolve links on whatever part of the path exists; a link out of the spawn or into .git is refused.
  let existing = absolute;
  for (;;) {
    const info = await lstat(existing).catch(() => undefined);
    if (info) break;
    const parent = path.dirname(existing);
    if (parent === existing) break;
    existing = parent;
  }
  const real = await realpath(existing).catch(() => existing);
  if (!isInside(real, root)) {
    throw new ToolError(`"${requested}" is a symbolic link (or lies under one) that leads outside the repository; it is off limits.`);
  }
  if (touchesGitDir(path.relative(root, real))) {
    throw new ToolError(`"${requested}" leads into .git through a symbolic link; it is off limits.`);
  }
  if (purpose === "write" && existing === absolute) {
    const info = await lstat(absolute);
    if (info.isSymbolicLink()) {
      throw new ToolError(`"${requested}" is a symbolic link. Edit the file it points to instead: "${path.relative(root, real).split(path.sep).join("/")}".`);
    }
  }
  return { absolute, relative };
}
