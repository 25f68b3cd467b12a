// Spares: checkouts of a commit prepared ahead of need, so that the next spawn of that commit is a rename
// instead of thousands of file creations. A job materializes its commit twice (its spawn, then a baseline
// spawn for the gates' baseline run) and the next issue on a repository usually starts from the same head,
// so a worker builds one spare per repository in the background while the agent works.
//
// A spare is never shared: it is built by the engine from the same immutable objects as any checkout, owned
// by the process that built it, and handed whole to exactly one spawn. Its stat snapshot never leaves that
// process's memory, and a claim lstat's every entry against it: any write, chmod, link, replacement,
// added or removed entry changes size, times, inode, mode or link count, and the spare is thrown away for a
// fresh checkout. Spares live under <workRoot>/.spares/<pid>-<random>, outside every spawn and sandbox.
import { randomBytes } from "node:crypto";
import { lstatSync, readdirSync, readFileSync, readlinkSync, type Stats } from "node:fs";
import { mkdir, readdir, rename, rm } from "node:fs/promises";
import path from "node:path";
import { checkoutTree } from "./checkout.js";
import { buildGitIndex } from "./git/gitIndex.js";
import { blobOid } from "./git/gitObjects.js";
import { storeAt, type ObjectStore } from "./git/objectCache.js";
import { advanceSpare } from "./spareAdvance.js";
import { ancestorDirs } from "./git/treePaths.js";
import { STAT_FIELDS, type StatSnapshot } from "./spawnState.js";

export const SPARES_DIR = ".spares";
/** A spare older than this is dropped: an idle repository should not hold a second checkout for long. */
const DEFAULT_TTL_MS = 30 * 60_000;
/** At most this many spares per process (one per repository and commit), oldest dropped first. */
const MAX_SPARES = 8;
/** Wider than a file-time tick (a few ms on Linux): files this close to the build's end are "racy". */
const RACY_MS = 20;

/** Where a spawn's working tree came from (for metrics). */
export type SpawnSource = "spare" | "advanced-spare" | "checkout";

export interface Spare {
  sha: string;
  dir: string;
  stat: StatSnapshot;
  /** `.git/index` built from the spare's own stat data. */
  index: Buffer;
  gitlinks: string[];
  builtAtMs: number;
  /**
   * Files written in the build's last moments. File times tick coarsely, so a same-size rewrite within the
   * same tick would leave every stat field as it was ("racy git"): these are checked by content instead.
   * (A process racing every file's creation could do the same to any file, of a spare or of a spawn: only
   * the sandbox keeps agents and commands away from both.)
   */
  racy?: { path: string; oid: string; link: boolean }[];
  /** Set when the spare was of an older commit and brought forward to this one. */
  advanced?: boolean;
}

interface StoreRef {
  gitdir: string;
  local: boolean;
}

interface Pool {
  ready: Map<string, Spare[]>;
  building: Map<string, { sha: string; dir: string; done: Promise<void>; abort: AbortController }>;
  enabled: boolean;
  ttlMs: number;
  expiry?: NodeJS.Timeout;
  onDiscard?: (dir: string, reason: string) => void;
  onMaterialized?: (source: SpawnSource) => void;
}

const pool: Pool = { ready: new Map(), building: new Map(), enabled: true, ttlMs: DEFAULT_TTL_MS };

/** Operators can turn spares off (AUTOFIX_SPARE_CHECKOUTS=off) to save disk; materialize then always checks out. */
export function configureSpares(options: {
  enabled: boolean;
  /** How long an unclaimed spare is kept (default 30 minutes). */
  ttlMs?: number;
  onDiscard?: (dir: string, reason: string) => void;
  onMaterialized?: (source: SpawnSource) => void;
}): void {
  pool.enabled = options.enabled;
  pool.ttlMs = options.ttlMs ?? DEFAULT_TTL_MS;
  pool.onDiscard = options.onDiscard;
  pool.onMaterialized = options.onMaterialized;
}

/** Called by materialize once a spawn is in place. */
export function reportMaterialized(source: SpawnSource): void {
  pool.onMaterialized?.(source);
}

const keyFor = (workRoot: string, store: StoreRef) => `${path.resolve(workRoot)}\0${store.gitdir}`;

/**
 * Moves a verified spare of `sha` to `target` (a path that must not exist) and returns it, or returns
 * undefined when there is none (or it was tampered with), in which case the caller checks out as usual.
 * A build of that commit already under way is waited for: it started earlier than a checkout would.
 * A spare of an older commit is brought forward when few paths differ (the head moved between jobs).
 */
export async function claimSpare(workRoot: string, store: ObjectStore, sha: string, target: string): Promise<Spare | undefined> {
  if (!pool.enabled) return undefined;
  const key = keyFor(workRoot, store);
  const flight = pool.building.get(key);
  if (flight?.sha === sha) await flight.done;
  const list = pool.ready.get(key) ?? [];
  let at = list.findIndex((s) => s.sha === sha);
  if (at < 0) at = list.length - 1;
  if (at < 0) return undefined;
  // Taken out of the pool before the first await: no other claim in this process can get it.
  const [spare] = list.splice(at, 1);
  if (Date.now() - spare.builtAtMs > pool.ttlMs) {
    await rm(spare.dir, { recursive: true, force: true });
    return undefined;
  }
  try {
    await rename(spare.dir, target);
  } catch {
    return undefined;
  }
  const stats = new Map<string, Stats>();
  const problem = findTampering(target, spare.stat, spare.gitlinks, stats, spare.racy);
  if (problem) {
    await rm(target, { recursive: true, force: true });
    pool.onDiscard?.(spare.dir, problem);
    return undefined;
  }
  if (spare.sha === sha) return { ...spare, dir: target };
  const advanced = await advanceSpare(store, target, spare.sha, sha, stats).catch(() => undefined);
  if (!advanced) {
    await rm(target, { recursive: true, force: true });
    return undefined;
  }
  return { sha, dir: target, ...advanced, builtAtMs: Date.now(), advanced: true };
}

/** Starts building a spare of `sha` in the background, unless one is ready or under way for this repository. */
export function prepareSpare(workRoot: string, store: StoreRef, sha: string): void {
  if (!pool.enabled) return;
  const key = keyFor(workRoot, store);
  if (pool.building.has(key) || pool.ready.get(key)?.some((s) => s.sha === sha)) return;
  const dir = path.join(path.resolve(workRoot), SPARES_DIR, `${process.pid}-${randomBytes(6).toString("hex")}`);
  const abort = new AbortController();
  const done = buildSpare(key, store, sha, dir, abort.signal)
    .catch(() => rm(dir, { recursive: true, force: true }).catch(() => undefined))
    .finally(() => pool.building.delete(key));
  pool.building.set(key, { sha, dir, done, abort });
}

async function buildSpare(key: string, storeRef: StoreRef, sha: string, dir: string, signal: AbortSignal): Promise<void> {
  // Let the spawn that asked for it be handed over first.
  await new Promise((r) => setImmediate(r));
  signal.throwIfAborted();
  await mkdir(path.dirname(dir), { recursive: true });
  const store = storeAt(storeRef.gitdir, storeRef.local);
  let spare: Spare;
  try {
    const { stat, index, gitlinks } = await checkoutTree(store, sha, dir, signal);
    const builtAtMs = Date.now();
    const racy = index
      .filter((e) => e.stats && Math.max(e.stats.mtimeMs, e.stats.ctimeMs) >= builtAtMs - RACY_MS)
      .map((e) => ({ path: e.path, oid: e.oid, link: e.mode === "120000" }));
    spare = { sha, dir, stat, index: buildGitIndex(index), gitlinks, builtAtMs, racy };
  } finally {
    store.reader.close();
  }
  signal.throwIfAborted();
  // One spare per repository: the commit of the latest spawn is the one the next job most likely needs.
  const replaced = pool.ready.get(key) ?? [];
  pool.ready.set(key, [spare]);
  await Promise.all(replaced.map((s) => rm(s.dir, { recursive: true, force: true })));
  await evictBeyondLimit();
  scheduleExpiry();
}

/** One timer for the oldest spare's expiry, so an idle worker does not keep spares on disk past their time. */
function scheduleExpiry(): void {
  clearTimeout(pool.expiry);
  const oldest = Math.min(...[...pool.ready.values()].flat().map((s) => s.builtAtMs));
  if (!Number.isFinite(oldest)) return;
  pool.expiry = setTimeout(() => void evictBeyondLimit().then(scheduleExpiry, () => undefined), Math.max(0, oldest + pool.ttlMs - Date.now()));
  // Never the reason a process (a CLI run, a test) stays alive.
  pool.expiry.unref();
}

async function evictBeyondLimit(): Promise<void> {
  const all = [...pool.ready.entries()].flatMap(([key, list]) => list.map((spare) => ({ key, spare })));
  const now = Date.now();
  const doomed = all
    .sort((a, b) => b.spare.builtAtMs - a.spare.builtAtMs)
    .filter((entry, i) => i >= MAX_SPARES || now - entry.spare.builtAtMs >= pool.ttlMs);
  for (const { key, spare } of doomed) {
    const list = pool.ready.get(key) ?? [];
    pool.ready.set(key, list.filter((s) => s !== spare));
    await rm(spare.dir, { recursive: true, force: true });
  }
}

/** Stops builds under way and removes every spare of this process (a CLI run's end, a worker's shutdown). */
export async function discardSpares(): Promise<void> {
  clearTimeout(pool.expiry);
  const flights = [...pool.building.values()];
  for (const flight of flights) flight.abort.abort();
  await Promise.all(flights.map((f) => f.done));
  const spares = [...pool.ready.values()].flat();
  pool.ready.clear();
  await Promise.all(spares.map((s) => rm(s.dir, { recursive: true, force: true })));
}

/** Resolves when no spare is being built (tests and the benchmark: "the worker was idle for a while"). */
export async function sparesSettled(): Promise<void> {
  while (pool.building.size > 0) await Promise.all([...pool.building.values()].map((f) => f.done));
}

/**
 * Removes spares no live process owns: left by a crash or a restart (their snapshot died with the
 * process, so they can never be claimed). Returns the removed paths.
 */
export async function sweepSpares(workRoot: string): Promise<string[]> {
  const root = path.join(path.resolve(workRoot), SPARES_DIR);
  const mine = new Set([...pool.ready.values()].flat().map((s) => s.dir));
  for (const flight of pool.building.values()) mine.add(flight.dir);
  const removed: string[] = [];
  for (const name of await readdir(root).catch(() => [] as string[])) {
    const abs = path.join(root, name);
    const pid = Number(/^(\d+)-/.exec(name)?.[1]);
    if (mine.has(abs) || (pid !== process.pid && isAlive(pid))) continue;
    await rm(abs, { recursive: true, force: true });
    removed.push(abs);
  }
  return removed;
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Compares every entry under root with the snapshot taken when the spare was built; returns what differs.
 * ctime cannot be set back by anyone but the kernel, so an edit whose mtime was restored still shows.
 */
export function findTampering(
  root: string,
  stat: StatSnapshot,
  gitlinks: string[],
  statsOut?: Map<string, Stats>,
  racy: { path: string; oid: string; link: boolean }[] = [],
): string | undefined {
  const rowOf = new Map<string, number>();
  for (let i = 0; i < stat.paths.length; i++) rowOf.set(stat.paths[i], i);
  const dirs = ancestorDirs([...stat.paths, ...gitlinks]);
  for (const link of gitlinks) dirs.add(link);
  let seen = 0;
  const pending = [""];
  while (pending.length > 0) {
    const dirRel = pending.pop()!;
    let entries;
    try {
      entries = readdirSync(dirRel ? path.join(root, dirRel) : root, { withFileTypes: true });
    } catch (err) {
      return `${dirRel || "the spare"} could not be read (${(err as NodeJS.ErrnoException).code})`;
    }
    for (const entry of entries) {
      const rel = dirRel ? `${dirRel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (!dirs.has(rel)) return `unexpected directory ${rel}`;
        pending.push(rel);
        continue;
      }
      const row = rowOf.get(rel);
      if (row === undefined) return `unexpected file ${rel}`;
      const info = lstatSync(path.join(root, rel));
      const at = row * STAT_FIELDS;
      const same =
        info.size === stat.rows[at] &&
        info.mtimeMs === stat.rows[at + 1] &&
        info.ctimeMs === stat.rows[at + 2] &&
        info.ino === stat.rows[at + 3] &&
        info.mode === stat.rows[at + 4] &&
        info.nlink === 1;
      if (!same) return `${rel} changed after the spare was built`;
      statsOut?.set(rel, info);
      seen++;
    }
  }
  if (seen !== stat.paths.length) return `${stat.paths.length - seen} file(s) missing`;
  for (const file of racy) {
    const abs = path.join(root, file.path);
    const content = file.link ? Buffer.from(readlinkSync(abs), "utf8") : readFileSync(abs);
    if (blobOid(content) !== file.oid) return `${file.path} changed after the spare was built`;
  }
  return undefined;
}
