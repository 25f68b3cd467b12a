// Walks a spawn's working tree without following symlinks, skipping `.git`, agent tool files and paths the
// repository ignores (rules from the baseline's .gitignore files, so an agent cannot hide files by editing
// them). Directories are listed with sync readdir (entry types come with the names, no lstat per entry;
// sync is several times faster than promises for thousands of calls), yielding between batches; the files
// found are lstat'ed as they are found, on a helper thread, and the rest when the caller asks (statPool.ts).
import { readdirSync } from "node:fs";
import ignore, { type Ignore } from "ignore";
import type { StatPool } from "./statPool.js";
import { ancestorDirs } from "./treePaths.js";
import type { ToolFileMatcher } from "../toolFiles.js";

export interface WalkResult {
  excluded: { path: string; reason: "ignored" | "tool-file" }[];
  /** Directories present where the baseline has a submodule (never descended). */
  gitlinks: Set<string>;
  /** Every file and symlink in the directories walked, tracked or not. */
  files: string[];
  /** Their lstat, ENTRY_FIELDS numbers per file in the order of `files` (see statPool.ts). */
  stats(): Promise<Float64Array>;
  /** Why an untracked file is not part of the change (a tool file, an ignored path), if it is not. */
  exclusionOf(rel: string): "ignored" | "tool-file" | undefined;
}

export interface WalkOptions {
  root: string;
  /** Baseline paths: directories holding them are always walked. */
  trackedFiles: string[];
  gitlinkPaths: Set<string>;
  /** .gitignore contents by directory ("" for the root, "a/b/" for nested). */
  ignoreRules: Map<string, string>;
  isToolFile: ToolFileMatcher;
  /** The engine's lstat helper. */
  stats: StatPool;
}

/** Always ignored, even where the repository forgot: dependencies installed by running the checks. */
const BUILT_IN_IGNORES = ["node_modules/"];

export async function walkTree(options: WalkOptions): Promise<WalkResult> {
  const { root, trackedFiles, gitlinkPaths, isToolFile } = options;
  const trackedDirs = ancestorDirs(trackedFiles);
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

  const excluded: WalkResult["excluded"] = [];
  const gitlinks = new Set<string>();
  const files: string[] = [];
  const lstats = options.stats.stream(root);
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
          gitlinks.add(rel);
          continue;
        }
        const tracked = trackedDirs.has(rel);
        if (!tracked && isToolFile(`${rel}/`)) excluded.push({ path: `${rel}/`, reason: "tool-file" });
        else if (!tracked && isIgnored(rel, true)) excluded.push({ path: `${rel}/`, reason: "ignored" });
        else pending.push(rel);
        continue;
      }
      if (!entry.isFile() && !entry.isSymbolicLink()) continue; // sockets, fifos: not content
      files.push(rel);
      lstats.push(rel);
    }
    // Often enough for the helper thread's answers to be taken and the next batch handed over.
    if (++sinceYield >= 50) {
      sinceYield = 0;
      await new Promise((r) => setImmediate(r));
    }
  }
  return {
    excluded,
    gitlinks,
    files,
    stats: () => lstats.finish(),
    // A tracked tool file (a committed .vscode/settings.json) is never asked about: the delta judges it,
    // reporting it only if the agent changed it, and it never becomes part of the change.
    exclusionOf: (rel) => (isToolFile(rel) ? "tool-file" : isIgnored(rel, false) ? "ignored" : undefined),
  };
}
