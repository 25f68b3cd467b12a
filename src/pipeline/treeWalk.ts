// Walks a spawn's working tree without following symlinks, skipping `.git`, agent tool files and paths the
// repository ignores (rules from the baseline's .gitignore files, so an agent cannot hide files by editing
// them). Directories are listed with sync readdir (entry types come with the names, no lstat per entry;
// sync is several times faster than promises for thousands of calls), yielding between batches; the files
// found are then lstat'ed in one batch, split across two threads (statPool.ts).
import { readdirSync } from "node:fs";
import ignore, { type Ignore } from "ignore";
import { lstatMany } from "./statPool.js";
import type { ToolFileMatcher } from "./toolFiles.js";

export interface WalkResult {
  excluded: { path: string; reason: "ignored" | "tool-file" }[];
  /** Directories present where the baseline has a submodule (never descended). */
  gitlinks: Set<string>;
  /** Every file and symlink the delta must consider (not ignored, not an untracked tool file). */
  files: string[];
  /** Their lstat, ENTRY_FIELDS numbers per file (see statPool.ts). */
  stats: Float64Array;
}

export interface WalkOptions {
  root: string;
  /** Baseline paths: tracked files are never ignored, and directories holding them are always walked. */
  trackedFiles: { has(path: string): boolean; keys(): IterableIterator<string> };
  gitlinkPaths: Set<string>;
  /** .gitignore contents by directory ("" for the root, "a/b/" for nested). */
  ignoreRules: Map<string, string>;
  isToolFile: ToolFileMatcher;
}

/** Always ignored, even where the repository forgot: dependencies installed by running the checks. */
const BUILT_IN_IGNORES = ["node_modules/"];

export async function walkTree(options: WalkOptions): Promise<WalkResult> {
  const { root, trackedFiles, gitlinkPaths, isToolFile } = options;
  const trackedDirs = new Set<string>();
  for (const file of trackedFiles.keys()) {
    for (let cut = file.lastIndexOf("/"); cut > 0; cut = file.lastIndexOf("/", cut - 1)) {
      const d = file.slice(0, cut);
      if (trackedDirs.has(d)) break;
      trackedDirs.add(d);
    }
  }
  const matchers = new Map<string, Ignore>();
  matchers.set("", ignore().add(BUILT_IN_IGNORES));
  for (const [base, text] of options.ignoreRules) {
    const existing = matchers.get(base);
    matchers.set(base, (existing ?? ignore()).add(text));
  }
  const isIgnored = (rel: string, isDir: boolean): boolean => {
    const probe = isDir ? `${rel}/` : rel;
    for (const [base, ig] of matchers) {
      if (base !== "" && !probe.startsWith(base)) continue;
      if (ig.ignores(probe.slice(base.length))) return true;
    }
    return false;
  };

  const result: Omit<WalkResult, "stats"> = { excluded: [], gitlinks: new Set(), files: [] };
  const pending: string[] = [""];
  let sinceYield = 0;
  while (pending.length > 0) {
    const dirRel = pending.pop()!;
    const dirAbs = dirRel ? `${root}/${dirRel}` : root;
    let entries;
    try {
      entries = readdirSync(dirAbs, { withFileTypes: true });
    } catch {
      continue; // removed while walking: its files count as deleted
    }
    for (const entry of entries) {
      const name = entry.name;
      if (name === ".git") continue; // the spawn's own (checked by the integrity guard) or a nested one git never tracks
      const rel = dirRel ? `${dirRel}/${name}` : name;
      if (entry.isDirectory()) {
        if (gitlinkPaths.has(rel)) {
          result.gitlinks.add(rel);
          continue;
        }
        const tracked = trackedDirs.has(rel);
        if (!tracked && isToolFile(`${rel}/`)) result.excluded.push({ path: `${rel}/`, reason: "tool-file" });
        else if (!tracked && isIgnored(rel, true)) result.excluded.push({ path: `${rel}/`, reason: "ignored" });
        else pending.push(rel);
        continue;
      }
      if (!entry.isFile() && !entry.isSymbolicLink()) continue; // sockets, fifos: not content
      // A tracked tool file (a committed .vscode/settings.json) is kept for the delta to judge: it is
      // reported only if the agent changed it, and never becomes part of the change.
      if (!trackedFiles.has(rel)) {
        if (isToolFile(rel)) {
          result.excluded.push({ path: rel, reason: "tool-file" });
          continue;
        }
        if (isIgnored(rel, false)) {
          result.excluded.push({ path: rel, reason: "ignored" });
          continue;
        }
      }
      result.files.push(rel);
    }
    if (++sinceYield >= 500) {
      sinceYield = 0;
      await new Promise((r) => setImmediate(r));
    }
  }
  return { ...result, stats: await lstatMany(root, result.files) };
}
