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
import { blobOid } from "./git/gitObjects.js";
import type { ObjectStore } from "./git/objectCache.js";
import { advanceSpare } from "./spareAdvance.js";
import { buildSpareFiles, buildSpareOnThread } from "./spareBuild.js";
import { engineOr, type Engine } from "./engineContext.js";
import { ancestorDirs } from "./git/treePaths.js";
import { STAT_FIELDS, type StatSnapshot } from "./spawnState.js";

export const SPARES_DIR = ".spares";
/** A spare older than this is dropped: an idle repository should not hold a second checkout for long. */
const DEFAULT_TTL_MS = 30 * 60_000;
/** At most this many spares per process (one per repository and commit), oldest dropped first. */
const MAX_SPARES = 8;

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

export interface SpareRegistryOptions {
  /** Operators can turn spares off (AUTOFIX_SPARE_CHECKOUTS=off) to save disk; materialize then always checks out. */
  enabled?: boolean;
  /** How long an unclaimed spare is kept (default 30 minutes). */
  ttlMs?: number;
  onDiscard?: (dir: string, reason: string) => void;
  onMaterialized?: (source: SpawnSource) => void;
  /** `thread` (default): build on a helper thread at the lowest priority, so the jobs beside it keep the event loop. */
  buildOn?: "thread" | "main";
  /** Whose object readers a build on the main thread uses (the default engine when left out). */
  engine?: Engine;
}

const keyFor = (workRoot: string, store: StoreRef) => `${path.resolve(workRoot)}\0${store.gitdir}`;

/**
 * The spares of one long-lived worker process: created by the runtime and handed to materialize. A one-shot run
 * (the CLI) has none, so it never builds a checkout it would throw away.
 */
export class SpareRegistry {
  private readonly ready = new Map<string, Spare[]>();
  private readonly building = new Map<string, { sha: string; dir: string; done: Promise<void>; abort: AbortController }>();
  private expiry?: NodeJS.Timeout;
  readonly enabled: boolean;
  private readonly ttlMs: number;

  constructor(private readonly options: SpareRegistryOptions = {}) {
    this.enabled = options.enabled ?? true;
    this.ttlMs = options.ttlMs ?? DEFAULT_TTL_MS;
  }

  /** Called by materialize once a spawn is in place. */
  reportMaterialized(source: SpawnSource): void {
    this.options.onMaterialized?.(source);
  }

  /**
   * Moves a verified spare of `sha` to `target` (a path that must not exist) and returns it, or returns
   * undefined when there is none (or it was tampered with), in which case the caller checks out as usual.
   * A build of that commit already under way is waited for: it started earlier than a checkout would.
   * A spare of an older commit is brought forward when few paths differ (the head moved between jobs).
   */
  async claim(workRoot: string, store: ObjectStore, sha: string, target: string): Promise<Spare | undefined> {
    if (!this.enabled) return undefined;
    const key = keyFor(workRoot, store);
    const flight = this.building.get(key);
    if (flight?.sha === sha) await flight.done;
    const list = this.ready.get(key) ?? [];
    let at = list.findIndex((s) => s.sha === sha);
    if (at < 0) at = list.length - 1;
    if (at < 0) return undefined;
    // Taken out of the pool before the first await: no other claim in this process can get it.
    const [spare] = list.splice(at, 1);
    if (Date.now() - spare.builtAtMs > this.ttlMs) {
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
      this.options.onDiscard?.(spare.dir, problem);
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
  prepare(workRoot: string, store: StoreRef, sha: string): void {
    if (!this.enabled) return;
    const key = keyFor(workRoot, store);
    if (this.building.has(key) || this.ready.get(key)?.some((s) => s.sha === sha)) return;
    const dir = path.join(path.resolve(workRoot), SPARES_DIR, `${process.pid}-${randomBytes(6).toString("hex")}`);
    const abort = new AbortController();
    const done = this.build(key, store, sha, dir, abort.signal)
      .catch(() => rm(dir, { recursive: true, force: true }).catch(() => undefined))
      .finally(() => this.building.delete(key));
    this.building.set(key, { sha, dir, done, abort });
  }

  private async build(key: string, storeRef: StoreRef, sha: string, dir: string, signal: AbortSignal): Promise<void> {
    // Let the spawn that asked for it be handed over first.
    await new Promise((r) => setImmediate(r));
    signal.throwIfAborted();
    await mkdir(path.dirname(dir), { recursive: true });
    const built =
      this.options.buildOn === "main"
        ? await buildSpareFiles(engineOr(this.options.engine).readers, storeRef.gitdir, storeRef.local, sha, dir, signal)
        : await buildSpareOnThread(storeRef, sha, dir, signal);
    const spare: Spare = { sha, dir, ...built };
    signal.throwIfAborted();
    // One spare per repository: the commit of the latest spawn is the one the next job most likely needs.
    const replaced = this.ready.get(key) ?? [];
    this.ready.set(key, [spare]);
    await Promise.all(replaced.map((s) => rm(s.dir, { recursive: true, force: true })));
    await this.evictBeyondLimit();
    this.scheduleExpiry();
  }

  /** One timer for the oldest spare's expiry, so an idle worker does not keep spares on disk past their time. */
  private scheduleExpiry(): void {
    clearTimeout(this.expiry);
    const oldest = Math.min(...[...this.ready.values()].flat().map((s) => s.builtAtMs));
    if (!Number.isFinite(oldest)) return;
    this.expiry = setTimeout(
      () =>
        void this.evictBeyondLimit().then(
          () => this.scheduleExpiry(),
          () => undefined,
        ),
      Math.max(0, oldest + this.ttlMs - Date.now()),
    );
    // Never the reason a process (a test) stays alive.
    this.expiry.unref();
  }

  private async evictBeyondLimit(): Promise<void> {
    const all = [...this.ready.entries()].flatMap(([key, list]) => list.map((spare) => ({ key, spare })));
    const now = Date.now();
    const doomed = all.sort((a, b) => b.spare.builtAtMs - a.spare.builtAtMs).filter((entry, i) => i >= MAX_SPARES || now - entry.spare.builtAtMs >= this.ttlMs);
    for (const { key, spare } of doomed) {
      const list = this.ready.get(key) ?? [];
      this.ready.set(
        key,
        list.filter((s) => s !== spare),
      );
      await rm(spare.dir, { recursive: true, force: true });
    }
  }

  /** Stops builds under way and removes every spare of this registry (a worker's shutdown). */
  async discardAll(): Promise<void> {
    clearTimeout(this.expiry);
    const flights = [...this.building.values()];
    for (const flight of flights) flight.abort.abort();
    await Promise.all(flights.map((f) => f.done));
    const spares = [...this.ready.values()].flat();
    this.ready.clear();
    await Promise.all(spares.map((s) => rm(s.dir, { recursive: true, force: true })));
  }

  /** Resolves when no spare is being built (tests and the benchmark: "the worker was idle for a while"). */
  async settled(): Promise<void> {
    while (this.building.size > 0) await Promise.all([...this.building.values()].map((f) => f.done));
  }

  /** Directories this registry holds or builds (kept by sweepSpares). */
  ownDirs(): Set<string> {
    const mine = new Set([...this.ready.values()].flat().map((s) => s.dir));
    for (const flight of this.building.values()) mine.add(flight.dir);
    return mine;
  }
}

/**
 * Removes spares no live process owns: left by a crash or a restart (their snapshot died with the
 * process, so they can never be claimed). Returns the removed paths.
 */
export async function sweepSpares(workRoot: string, keep: Set<string> = new Set()): Promise<string[]> {
  const root = path.join(path.resolve(workRoot), SPARES_DIR);
  const removed: string[] = [];
  for (const name of await readdir(root).catch(() => [] as string[])) {
    const abs = path.join(root, name);
    const pid = Number(/^(\d+)-/.exec(name)?.[1]);
    if (keep.has(abs) || (pid !== process.pid && isAlive(pid))) continue;
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
