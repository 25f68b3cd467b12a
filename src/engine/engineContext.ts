// What the engine keeps while its owner lives: one object reader per store (open pack files) and the lstat
// helper thread. The composition root (src/runtime.ts) creates one engine and closes it at shutdown; tests build
// their own. Engine functions given none share one default, created on first use, for one-shot callers and old
// call sites; it is never closed (its helper thread is unref'd while idle, so it never holds a process open).
import { ObjectReaders, storeAt as storeWith, type ObjectStore } from "./git/objectCache.js";
import { StatPool } from "./git/statPool.js";

export interface Engine {
  readonly readers: ObjectReaders;
  readonly stats: StatPool;
  /** Closes every reader's pack files and stops the lstat helper thread. */
  close(): Promise<void>;
}

export function createEngine(): Engine {
  const readers = new ObjectReaders();
  const stats = new StatPool();
  return {
    readers,
    stats,
    async close() {
      readers.close();
      await stats.close();
    },
  };
}

let fallback: Engine | undefined;

/** The engine a caller passed, or the shared default one. */
export function engineOr(engine: Engine | undefined): Engine {
  return engine ?? (fallback ??= createEngine());
}

/** Reopens the store a spawn was built from (recorded in the spawn's state), with no network. */
export function storeAt(gitdir: string, local: boolean, engine?: Engine): ObjectStore {
  return storeWith(gitdir, local, engineOr(engine).readers);
}
