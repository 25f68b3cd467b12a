// The base commit as a thin layer over the spawn: the files the agent changed or deleted, restored from git
// objects, plus the paths it added (which an overlay hides with whiteouts). Stacked above the spawn in an
// overlay, it shows exactly the pinned commit's tree, so the gate's base side needs no second checkout:
// its cost grows with the change, not with the repository.
import { mkdir, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { readBlob } from "./git/gitObjects.js";
import { storeAt } from "./git/objectCache.js";
import { engineOr, type Engine } from "./engineContext.js";
import { readSpawnState } from "./spawnState.js";
import type { Baseline, Delta, Spawn } from "./types.js";

export interface BaseLayer {
  /** Paths (posix, relative to the layer) the overlay must hide: what the agent added, topmost new directory first. */
  whiteouts: string[];
  /** Files written into the layer. */
  restored: number;
}

/** Every directory that holds a base file, so an added path can be hidden at its topmost new directory. */
function baseDirectories(baseline: Baseline): Set<string> {
  const dirs = new Set<string>();
  for (const p in baseline.files) {
    for (let slash = p.lastIndexOf("/"); slash > 0; slash = p.lastIndexOf("/", slash - 1)) {
      const dir = p.slice(0, slash);
      if (dirs.has(dir)) break;
      dirs.add(dir);
    }
  }
  return dirs;
}

/** The highest ancestor of `p` (or `p` itself) that the base commit does not have. */
function topmostNew(p: string, dirs: Set<string>): string {
  const parts = p.split("/");
  for (let i = 1; i < parts.length; i++) {
    const ancestor = parts.slice(0, i).join("/");
    if (!dirs.has(ancestor)) return ancestor;
  }
  return p;
}

const isUnderOrAt = (p: string, root: string) => p === root || p.startsWith(`${root}/`);

/**
 * Writes into `layerDir` (empty, private to one run) what turns the spawn back into its base commit. Ignored
 * paths and tool files the agent created are hidden too: a pristine checkout has neither.
 */
export async function writeBaseLayer(input: { spawn: Spawn; baseline: Baseline; delta: Delta; layerDir: string; engine?: Engine }): Promise<BaseLayer> {
  const { baseline, delta, layerDir } = input;
  const state = await readSpawnState(input.spawn);
  const store = storeAt(state.storeGitdir, state.local, engineOr(input.engine).readers);
  const restorePaths: string[] = [];
  const added: string[] = [];
  for (const change of delta.files) {
    if (change.kind === "add") added.push(change.path);
    else restorePaths.push(change.path);
  }
  for (const { path: p } of delta.excluded) {
    const clean = p.replace(/\/+$/, "");
    if (!baseline.files[clean]) added.push(clean);
  }
  const dirs = baseDirectories(baseline);
  try {
    for (const p of restorePaths) {
      const entry = baseline.files[p];
      if (!entry || entry.mode === "160000") continue;
      const target = path.join(layerDir, ...p.split("/"));
      await mkdir(path.dirname(target), { recursive: true });
      const content = await readBlob(store, entry.oid);
      if (entry.mode === "120000") await symlink(content.toString("utf8"), target);
      else await writeFile(target, content, { mode: entry.mode === "100755" ? 0o755 : 0o644, flag: "wx" });
    }
  } finally {
    store.reader.close();
  }
  // A restored file or directory already hides what lies beneath it in the spawn; a whiteout there would clash.
  const hidden = new Set<string>();
  for (const p of added) {
    const top = topmostNew(p, dirs);
    if (restorePaths.some((r) => isUnderOrAt(top, r) || isUnderOrAt(r, top))) continue;
    hidden.add(top);
  }
  // Keep only the topmost: a whiteout inside a hidden directory would need that directory in the layer.
  const whiteouts = [...hidden].sort().filter((p, i, all) => !all.slice(0, i).some((q) => isUnderOrAt(p, q)));
  return { whiteouts, restored: restorePaths.length };
}
