// A lock file per object cache, so two jobs never fetch into one cache at once. Stale locks (dead
// holder, or not refreshed for staleMs) are broken so a crashed worker never blocks the cache forever.
import { open, readFile, stat, unlink, utimes } from "node:fs/promises";
import { throwIfAborted } from "../../errors.js";
import { CacheBusy } from "../errors.js";

export interface LockOptions {
  staleMs?: number;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export async function withCacheLock<T>(lockPath: string, work: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  const staleMs = options.staleMs ?? 120_000;
  const timeoutMs = options.timeoutMs ?? 600_000;
  const started = Date.now();
  for (let attempt = 0; ; attempt++) {
    throwIfAborted(options.signal);
    try {
      const handle = await open(lockPath, "wx");
      await handle.writeFile(JSON.stringify({ pid: process.pid, at: new Date().toISOString() }));
      await handle.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      if (await isStale(lockPath, staleMs)) {
        await unlink(lockPath).catch(() => undefined);
        continue;
      }
      if (Date.now() - started > timeoutMs) throw new CacheBusy(lockPath, Date.now() - started);
      await new Promise((r) => setTimeout(r, Math.min(250, 10 + attempt * 10)));
    }
  }
  // Refresh the lock's mtime while working so a long fetch is not mistaken for a dead holder.
  const refresh = setInterval(
    () => {
      const now = new Date();
      utimes(lockPath, now, now).catch(() => undefined);
    },
    Math.max(1000, staleMs / 4),
  );
  refresh.unref();
  try {
    return await work();
  } finally {
    clearInterval(refresh);
    await unlink(lockPath).catch(() => undefined);
  }
}

async function isStale(lockPath: string, staleMs: number): Promise<boolean> {
  try {
    const info = await stat(lockPath);
    if (Date.now() - info.mtimeMs > staleMs) return true;
    const text = await readFile(lockPath, "utf8");
    // A holder killed between creating and writing the file leaves it empty.
    if (text === "") return Date.now() - info.mtimeMs > 5_000;
    const holder = JSON.parse(text) as { pid?: number };
    if (typeof holder.pid === "number" && holder.pid !== process.pid) {
      try {
        process.kill(holder.pid, 0);
      } catch (err) {
        return (err as NodeJS.ErrnoException).code === "ESRCH";
      }
    }
    return false;
  } catch {
    // Vanished or half-written (holder just created it): not stale, try again shortly.
    return false;
  }
}
