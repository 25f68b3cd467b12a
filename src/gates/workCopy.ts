// A throw-away copy of the spawn for the repository's commands: builds, snapshot updates, coverage files
// and reports land in the copy, so the spawn keeps exactly the agent's change for the next attempt.
import { cp, lstat, mkdir, readdir, rm, symlink } from "node:fs/promises";
import path from "node:path";

/**
 * Heavy dependency and build directories are linked, not copied: they are ignored by git, so writes into
 * them never reach a delta, and copying node_modules would cost more than the checks.
 */
const linkedDirs = new Set(["node_modules", "target", ".venv", "venv", ".tox", "vendor"]);

export interface WorkCopy {
  dir: string;
  /** Spawn directories linked into the copy; the sandbox must let commands write them. */
  linkedPaths: string[];
}

export async function makeWorkCopy(spawnDir: string, copyDir: string): Promise<WorkCopy> {
  const linkedPaths: string[] = [];
  await rm(copyDir, { recursive: true, force: true });
  await mkdir(copyDir, { recursive: true });
  for (const entry of await readdir(spawnDir)) {
    if (entry === ".git") continue;
    const source = path.join(spawnDir, entry);
    const target = path.join(copyDir, entry);
    const stat = await lstat(source);
    if (stat.isDirectory() && linkedDirs.has(entry)) {
      await symlink(source, target);
      linkedPaths.push(source);
    }
    else await cp(source, target, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
  }
  return { dir: copyDir, linkedPaths };
}
