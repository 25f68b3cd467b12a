// Materializes a job's spawn: a private working copy of one pinned commit, built in a temp sibling
// directory and renamed into place, so a retry or a crash mid-way always ends with one clean spawn.
// Sync is disabled by construction: `.git` holds no remote, no credential, and HEAD is a bare sha.
import { createHash, randomBytes } from "node:crypto";
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { throwIfAborted } from "../errors.js";
import { SpawnTampered } from "./errors.js";
import { fingerprintGitDir } from "./git/gitDirFingerprint.js";
import { checkoutTree } from "./checkout.js";
import { buildGitIndex } from "./git/gitIndex.js";
import { openObjectStore, resolveBase, type ObjectStore } from "./git/objectCache.js";
import { engineOr, type Engine } from "./engineContext.js";
import { sweepSpares, type SpareRegistry, type SpawnSource } from "./spares.js";
import { checkoutOnThread } from "./spareBuild.js";
import { STATE_DIR, removeSpawnState, writeSpawnState } from "./spawnState.js";
import type { RepoSource, Spawn, SpawnMarker } from "./types.js";

export const MARKER_FILE = "autofix-spawn.json";

export interface MaterializeOptions {
  jobId: string;
  source: RepoSource;
  baseRef: string;
  workRoot: string;
  cacheRoot: string;
  signal?: AbortSignal;
  /**
   * A long-lived worker's spares: the spawn may start from one, and a spare of its commit is then built for the
   * next job. Left out for one-shot runs and for a job's baseline checkout.
   */
  spares?: SpareRegistry;
  /** `thread`: create the files on a helper thread, so the event loop (leases, webhooks) never waits on the disk. */
  checkoutOn?: "main" | "thread";
  /** Whose object readers to use (the default engine when left out). */
  engine?: Engine;
}

/** A directory name for a job id: safe characters only, with a hash suffix when anything was replaced. */
export function spawnDirName(jobId: string): string {
  const safe = jobId
    .replace(/[^A-Za-z0-9._-]/g, "_")
    .replace(/^\.+/, "_")
    .slice(0, 100);
  if (safe === jobId && safe.length > 0) return safe;
  return `${safe}-${createHash("sha256").update(jobId).digest("hex").slice(0, 10)}`;
}

export async function materialize(opts: MaterializeOptions): Promise<Spawn> {
  const { jobId, source, baseRef, workRoot, cacheRoot, signal } = opts;
  const dirName = spawnDirName(jobId);
  const dir = path.join(path.resolve(workRoot), dirName);
  await mkdir(path.dirname(dir), { recursive: true });
  await removeDebris(path.dirname(dir), dirName);

  const store = await openObjectStore(source, path.resolve(cacheRoot), engineOr(opts.engine).readers);
  const baseSha = await resolveBase(store, source, baseRef, signal);
  throwIfAborted(signal);

  let checkedOutAtMs: number;
  let treeFrom: SpawnSource = "checkout";
  const building = path.join(path.dirname(dir), `.tmp-${dirName}-${randomBytes(4).toString("hex")}`);
  try {
    const spare = await opts.spares?.claim(workRoot, store, baseSha, building);
    let stat, index: Buffer;
    if (spare) {
      ({ stat, index } = spare);
      checkedOutAtMs = spare.builtAtMs;
      treeFrom = spare.advanced ? "advanced-spare" : "spare";
    } else if (opts.checkoutOn === "thread") {
      const built = await checkoutOnThread(store, baseSha, building, signal, { lowPriority: false });
      checkedOutAtMs = built.builtAtMs;
      ({ stat, index } = built);
    } else {
      const checkout = await checkoutTree(store, baseSha, building, signal);
      checkedOutAtMs = Date.now();
      stat = checkout.stat;
      index = buildGitIndex(checkout.index);
    }
    const marker: SpawnMarker = { jobId, baseSha, baseRef, sync: "none", createdAt: new Date().toISOString() };
    await writeGitDir(building, store, baseSha, marker);
    await writeFile(path.join(building, ".git", "index"), index);
    const gitDir = await fingerprintGitDir(path.join(building, ".git"));
    await replaceDir(building, dir);
    await writeSpawnState(dir, {
      jobId,
      baseSha,
      storeGitdir: store.gitdir,
      local: store.local,
      takenAtMs: Date.now(),
      stat,
      gitDir,
    });
  } catch (err) {
    await rm(building, { recursive: true, force: true });
    throw err;
  } finally {
    store.reader.close();
  }
  opts.spares?.reportMaterialized(treeFrom);
  // The next issue on this repository, while its head has not moved, then starts with a rename.
  opts.spares?.prepare(workRoot, store, baseSha);
  // File times tick coarsely (a few ms): make sure an agent's first write lands on a later tick than
  // the checkout, or a same-size edit could look unchanged to the stat snapshot. The steps after the
  // checkout usually took longer than that already.
  const settleMs = checkedOutAtMs + 15 - Date.now();
  if (settleMs > 0) await new Promise((r) => setTimeout(r, settleMs));
  return { jobId, dir, baseRef, baseSha, ...(treeFrom !== "checkout" ? { fromSpare: true } : {}) };
}

async function writeGitDir(root: string, store: ObjectStore, baseSha: string, marker: SpawnMarker): Promise<void> {
  const gitDir = path.join(root, ".git");
  await mkdir(path.join(gitDir, "refs", "heads"), { recursive: true });
  await mkdir(path.join(gitDir, "refs", "tags"), { recursive: true });
  await mkdir(path.join(gitDir, "objects", "info"), { recursive: true });
  // Detached HEAD on the pinned sha, no [remote] section: nothing can fetch into this spawn.
  await writeFile(path.join(gitDir, "HEAD"), `${baseSha}\n`);
  await writeFile(path.join(gitDir, "config"), "[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = false\n\tlogallrefupdates = false\n");
  // Lets native git in the spawn (an agent running `git log`) read history without copying objects.
  await writeFile(path.join(gitDir, "objects", "info", "alternates"), `${path.join(store.gitdir, "objects")}\n`);
  if (!store.local) await writeFile(path.join(gitDir, "shallow"), `${baseSha}\n`);
  await writeFile(path.join(gitDir, MARKER_FILE), JSON.stringify(marker, null, 2) + "\n");
}

async function replaceDir(building: string, dir: string): Promise<void> {
  const trash = path.join(path.dirname(dir), `.trash-${path.basename(dir)}-${randomBytes(4).toString("hex")}`);
  let moved = false;
  try {
    await rename(dir, trash);
    moved = true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  await rename(building, dir);
  if (moved) await rm(trash, { recursive: true, force: true });
}

/** Leftovers of an interrupted materialization of this job (temp build dirs, half-deleted old spawns). */
async function removeDebris(workRoot: string, dirName: string): Promise<void> {
  const entries = await readdir(workRoot).catch(() => [] as string[]);
  await Promise.all(entries.filter((e) => debrisOwner(e) === dirName).map((e) => rm(path.join(workRoot, e), { recursive: true, force: true })));
}

function debrisOwner(entry: string): string | undefined {
  const match = /^\.(?:tmp|trash)-(.+)-[0-9a-f]{8}$/.exec(entry);
  return match?.[1];
}

const markerSchema = z.object({
  jobId: z.string(),
  baseSha: z.string(),
  baseRef: z.string(),
  sync: z.literal("none"),
  createdAt: z.string(),
});

export async function readMarker(dir: string): Promise<SpawnMarker | undefined> {
  try {
    return markerSchema.parse(JSON.parse(await readFile(path.join(dir, ".git", MARKER_FILE), "utf8")));
  } catch {
    return undefined;
  }
}

/** Every step after materialization calls this: the spawn must still be the one made for this job. */
export async function assertSpawn(spawn: Spawn): Promise<void> {
  const marker = await readMarker(spawn.dir);
  if (!marker) throw new SpawnTampered(spawn.dir, "Its marker .git/autofix-spawn.json is missing or unreadable.");
  if (marker.jobId !== spawn.jobId) throw new SpawnTampered(spawn.dir, `Its marker names job ${marker.jobId}, not ${spawn.jobId}.`);
  if (marker.baseSha !== spawn.baseSha) {
    throw new SpawnTampered(spawn.dir, `Its marker pins ${marker.baseSha}, not the recorded base ${spawn.baseSha}.`);
  }
}

export async function removeSpawn(spawn: Spawn): Promise<void> {
  await rm(spawn.dir, { recursive: true, force: true });
  await removeSpawnState(spawn.dir);
}

/** Removes spawns (and interrupted builds) under workRoot whose job is not in keepJobIds; returns removed paths. */
export async function sweepStaleSpawns(workRoot: string, keepJobIds: Set<string>, spares?: SpareRegistry): Promise<string[]> {
  const root = path.resolve(workRoot);
  const keepDirs = new Set([...keepJobIds].map(spawnDirName));
  const removed: string[] = [];
  const entries = await readdir(root, { withFileTypes: true }).catch(() => []);
  removed.push(...(await sweepAbsorbDirs(root)), ...(await sweepSpares(root, spares?.ownDirs())));
  for (const entry of entries) {
    if (!entry.isDirectory() || entry.name === STATE_DIR) continue;
    const abs = path.join(root, entry.name);
    const owner = debrisOwner(entry.name);
    if (owner !== undefined) {
      if (!keepDirs.has(owner)) {
        await rm(abs, { recursive: true, force: true });
        removed.push(abs);
      }
      continue;
    }
    // Only directories that carry our marker are spawns; anything else under workRoot is left alone.
    const marker = await readMarker(abs);
    if (!marker || keepJobIds.has(marker.jobId)) continue;
    await rm(abs, { recursive: true, force: true });
    await removeSpawnState(abs);
    removed.push(abs);
  }
  return removed;
}
export { applyDelta } from "./applyDelta.js";

/** Private gitdirs left by absorb (each is needed only until its push, minutes later). */
async function sweepAbsorbDirs(root: string, maxAgeMs = 3_600_000): Promise<string[]> {
  const dir = path.join(root, ".absorb");
  const removed: string[] = [];
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const abs = path.join(dir, name);
    const info = await stat(abs).catch(() => undefined);
    if (info && Date.now() - info.mtimeMs > maxAgeMs) {
      await rm(abs, { recursive: true, force: true });
      removed.push(abs);
    }
  }
  return removed;
}
