// The delta: the agent's change, computed from the filesystem against the baseline's git objects.
// Cost grows with the change: every file is lstat'ed, but only files whose stat differs from the snapshot
// taken at checkout are read and hashed. Text files carry a unified patch; binaries and symlinks never do.
import { readFile, readlink } from "node:fs/promises";
import path from "node:path";
import { assertSpawn } from "./spawn.js";
import { blobOid, forEachLimited, readBlob } from "./git/gitObjects.js";
import { storeAt, type ObjectStore } from "./git/objectCache.js";
import { engineOr, type Engine } from "./engineContext.js";
import { readSpawnState, statIndex, STAT_FIELDS, writeSpawnFindings } from "./spawnState.js";
import { toolFileMatcher } from "./toolFiles.js";
import { deltaStats } from "./deltaStats.js";
import { ENTRY_FIELDS } from "./git/statPool.js";
import { walkTree } from "./git/treeWalk.js";
import { isBinary, textPatch } from "./textPatch.js";
import type { Baseline, Delta, FileChange, GitMode, Spawn } from "./types.js";

export interface DeltaOptions {
  /** Extra agent tool-file globs (picomatch), on top of DEFAULT_TOOL_FILES. */
  toolFiles?: string[];
  /** Whose readers and lstat helper to use (the default engine when left out). */
  engine?: Engine;
}

export async function computeDelta(spawn: Spawn, baseline: Baseline, opts: DeltaOptions = {}): Promise<Delta> {
  await assertSpawn(spawn);
  const state = await readSpawnState(spawn);
  const engine = engineOr(opts.engine);
  const store = storeAt(state.storeGitdir, state.local, engine.readers);
  const isToolFile = toolFileMatcher(opts.toolFiles ?? []);
  const trackedPaths: string[] = [];
  const gitlinkPaths = new Set<string>();
  const ignoreFiles: string[] = [];
  // for..in, not Object.entries: 50,000 [key, value] pairs cost more than the lookups they save.
  for (const p in baseline.files) {
    const entry = baseline.files[p];
    if (entry.mode === "160000") {
      gitlinkPaths.add(p);
      continue;
    }
    if (p.endsWith(".gitignore") && entry.mode !== "120000" && path.posix.basename(p) === ".gitignore") ignoreFiles.push(p);
    trackedPaths.push(p);
  }
  const walked = await walkTree({
    root: spawn.dir,
    trackedFiles: trackedPaths,
    gitlinkPaths,
    ignoreRules: await baselineIgnoreRules(store, baseline, ignoreFiles),
    isToolFile,
    stats: engine.stats,
  });

  // While the helper thread is still lstat'ing: baseline path -> its number, and the snapshot row of each.
  const snapshot = state.stat;
  const tracked = new Map<string, number>();
  const rowOf = new Int32Array(trackedPaths.length);
  let byPath: Map<string, number> | undefined;
  for (let i = 0; i < trackedPaths.length; i++) {
    const p = trackedPaths[i];
    tracked.set(p, i);
    // The snapshot was written in this same order (both list the one commit's tree): matching by position
    // saves a second 50,000-entry map. Any mismatch falls back to lookups by path.
    if (byPath === undefined && snapshot.paths[i] === p) rowOf[i] = i;
    else {
      byPath ??= statIndex(snapshot);
      rowOf[i] = byPath.get(p) ?? -1;
    }
  }
  const statRows = snapshot.rows;
  /** mode: the file's lstat mode, undefined when it is gone. */
  const candidates: { path: string; mode: number | undefined }[] = [];
  const hardlinked: string[] = [];
  const walkExcluded = [...walked.excluded];
  const seen = new Uint8Array(trackedPaths.length);
  let seenCount = 0;
  const entryStats = await walked.stats();
  for (let j = 0, at = 0; j < walked.files.length; j++, at += ENTRY_FIELDS) {
    if (entryStats[at] < 0) continue; // gone between listing and lstat: counted as deleted below
    const p = walked.files[j];
    const i = tracked.get(p);
    if (i !== undefined) {
      seen[i] = 1;
      seenCount++;
      const row = rowOf[i];
      if (row >= 0 && statUnchanged(statRows, row * STAT_FIELDS, entryStats, at)) continue;
    } else {
      const reason = walked.exclusionOf(p);
      if (reason) {
        walkExcluded.push({ path: p, reason });
        continue;
      }
    }
    const mode = entryStats[at + 4];
    if (entryStats[at + 5] > 1 && (mode & S_IFMT) === S_IFREG) hardlinked.push(p);
    candidates.push({ path: p, mode });
  }
  if (seenCount < trackedPaths.length) {
    for (let i = 0; i < trackedPaths.length; i++) if (!seen[i]) candidates.push({ path: trackedPaths[i], mode: undefined });
  }
  const excluded = walkExcluded;

  const files: FileChange[] = [];
  let touched = 0;
  await forEachLimited(candidates, 32, async ({ path: p, mode }) => {
    const before = baseline.files[p];
    const change = mode !== undefined ? await describeWritten(spawn.dir, p, mode, before, store) : await describeDeleted(p, before!, store);
    if (!change) {
      touched++;
      return;
    }
    if (before && isToolFile(p)) {
      excluded.push({ path: p, reason: "tool-file" });
      return;
    }
    files.push(change);
  });
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  excluded.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  await writeSpawnFindings(spawn, { hardlinked });
  store.reader.close();

  return {
    baseSha: baseline.baseSha,
    files,
    stats: deltaStats(files),
    excluded,
    touchedButRestored: files.length === 0 && touched > 0,
  };
}

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;

/** The snapshot row at `at` against the walk's lstat numbers at `entryAt` (size, mtime, ctime, inode, mode). */
function statUnchanged(rows: Float64Array, at: number, entry: Float64Array, entryAt: number): boolean {
  return (
    entry[entryAt] === rows[at] &&
    entry[entryAt + 1] === rows[at + 1] &&
    entry[entryAt + 2] === rows[at + 2] &&
    entry[entryAt + 3] === rows[at + 3] &&
    entry[entryAt + 4] === rows[at + 4]
  );
}

function modeOf(mode: number): GitMode {
  if ((mode & S_IFMT) === S_IFLNK) return "120000";
  return mode & 0o111 ? "100755" : "100644";
}

/** A file present on disk: undefined when it is byte- and mode-identical to the baseline. */
async function describeWritten(
  root: string,
  p: string,
  lstatMode: number,
  before: { oid: string; mode: GitMode } | undefined,
  store: ObjectStore,
): Promise<FileChange | undefined> {
  const abs = path.join(root, p);
  const newMode = modeOf(lstatMode);
  const linkTarget = newMode === "120000" ? await readlink(abs) : undefined;
  const content = linkTarget !== undefined ? Buffer.from(linkTarget, "utf8") : await readFile(abs);
  const newOid = blobOid(content);
  if (before && before.oid === newOid && before.mode === newMode) return undefined;

  const change: FileChange = {
    path: p,
    kind: before ? "modify" : "add",
    oldMode: before?.mode,
    newMode,
    oldOid: before?.oid,
    newOid,
    binary: false,
    linkTarget,
    contentBase64: content.toString("base64"),
    size: content.byteLength,
    linesAdded: 0,
    linesDeleted: 0,
  };
  if (linkTarget !== undefined || before?.mode === "120000") return change;
  if (before && before.oid === newOid) return change; // mode change only: no patch
  const old = before ? await readBlob(store, before.oid) : Buffer.alloc(0);
  if (isBinary(content) || isBinary(old)) {
    change.binary = true;
    return change;
  }
  Object.assign(change, textPatch(p, before ? old : undefined, content));
  return change;
}

async function describeDeleted(p: string, before: { oid: string; mode: GitMode }, store: ObjectStore): Promise<FileChange> {
  const change: FileChange = {
    path: p,
    kind: "delete",
    oldMode: before.mode,
    oldOid: before.oid,
    binary: false,
    size: 0,
    linesAdded: 0,
    linesDeleted: 0,
  };
  if (before.mode === "120000") return change;
  const old = await readBlob(store, before.oid);
  if (isBinary(old)) {
    change.binary = true;
    return change;
  }
  Object.assign(change, textPatch(p, old, undefined));
  return change;
}

/** The rules of the baseline's .gitignore files (`paths`: those files, found while listing the baseline). */
async function baselineIgnoreRules(store: ObjectStore, baseline: Baseline, paths: string[]): Promise<Map<string, string>> {
  const rules = new Map<string, string>();
  for (const p of paths) {
    const entry = baseline.files[p];
    const dir = path.posix.dirname(p);
    rules.set(dir === "." ? "" : `${dir}/`, (await readBlob(store, entry.oid)).toString("utf8"));
  }
  return rules;
}
