// Brings a verified spare of an older commit up to a newer one by rewriting only the paths that differ
// between the two trees (what git's own checkout between two commits does), so a repository whose head
// moved since the spare was built still gets its spawn without a full checkout.
import { mkdirSync, rmdirSync, unlinkSync, type Stats } from "node:fs";
import path from "node:path";
import { writeEntry } from "./checkout.js";
import { buildGitIndex, type IndexEntry } from "./git/gitIndex.js";
import { listCommitFiles, readBlobSync } from "./git/gitObjects.js";
import type { ObjectStore } from "./git/objectCache.js";
import { STAT_FIELDS, type StatSnapshot } from "./spawnState.js";
import { ancestorDirs } from "./git/treePaths.js";

/** Past this many changed paths (or a quarter of the tree) a fresh checkout costs about the same. */
const MAX_CHANGED_PATHS = 2_000;

export interface AdvancedSpare {
  stat: StatSnapshot;
  index: Buffer;
  gitlinks: string[];
}

/**
 * Rewrites the tree at root from `fromSha` to `toSha`. `current` holds the lstat of every file, taken by the
 * verification just before; returns undefined (root untouched) when the change is too large or touches a
 * submodule, in which case the caller checks out afresh.
 */
export async function advanceSpare(
  store: ObjectStore,
  root: string,
  fromSha: string,
  toSha: string,
  current: Map<string, Stats>,
): Promise<AdvancedSpare | undefined> {
  const from = await listCommitFiles(store, fromSha);
  const to = await listCommitFiles(store, toSha);
  const removed: string[] = [];
  const written: string[] = [];
  for (const [p, entry] of Object.entries(from)) {
    const next = to[p];
    if (!next) removed.push(p);
    else if (next.oid !== entry.oid || next.mode !== entry.mode) written.push(p);
  }
  for (const p of Object.keys(to)) if (!from[p]) written.push(p);
  const total = Object.keys(to).length;
  if (removed.length + written.length > Math.min(MAX_CHANGED_PATHS, Math.max(50, total / 4))) return undefined;
  if ([...removed, ...written].some((p) => from[p]?.mode === "160000" || to[p]?.mode === "160000")) return undefined;

  // Removals first: a file may have become a directory, or a directory a file.
  for (const p of [...removed, ...written.filter((w) => from[w])]) unlinkSync(path.join(root, p));
  pruneEmptyDirs(root, removed, Object.keys(to));
  for (const p of removed) current.delete(p);
  for (const p of written) {
    const abs = path.join(root, p);
    mkdirSync(path.dirname(abs), { recursive: true });
    current.set(p, writeEntry(abs, readBlobSync(store, to[p].oid), to[p].mode));
  }

  const paths = Object.keys(to).filter((p) => to[p].mode !== "160000");
  const stat: StatSnapshot = { paths, rows: new Float64Array(paths.length * STAT_FIELDS) };
  const index: IndexEntry[] = [];
  const gitlinks: string[] = [];
  for (const [p, entry] of Object.entries(to)) {
    if (entry.mode === "160000") {
      gitlinks.push(p);
      index.push({ path: p, oid: entry.oid, mode: entry.mode });
    }
  }
  for (let i = 0; i < paths.length; i++) {
    const info = current.get(paths[i]);
    if (!info) throw new Error(`no stat for ${paths[i]} after advancing the spare`);
    const at = i * STAT_FIELDS;
    stat.rows[at] = info.size;
    stat.rows[at + 1] = info.mtimeMs;
    stat.rows[at + 2] = info.ctimeMs;
    stat.rows[at + 3] = info.ino;
    stat.rows[at + 4] = info.mode;
    index.push({ path: paths[i], oid: to[paths[i]].oid, mode: to[paths[i]].mode, stats: info });
  }
  return { stat, index: buildGitIndex(index), gitlinks };
}

/** Removes directories left without any file of the new tree, deepest first. */
function pruneEmptyDirs(root: string, removed: string[], kept: string[]): void {
  const keptDirs = ancestorDirs(kept);
  const emptied = [...ancestorDirs(removed)].filter((dir) => !keptDirs.has(dir));
  const deepestFirst = emptied.sort((a, b) => b.split("/").length - a.split("/").length);
  for (const dir of deepestFirst) rmdirSync(path.join(root, dir));
}
