// Relief for bursts of webhooks: a few seconds of memory for what the label handler asks GitHub before it
// may enqueue (config, permission), and a one-at-a-time runner for what it tells GitHub after answering.
export interface BurstCache<T> {
  get(key: string, load: () => Promise<T>): Promise<T>;
}

/**
 * Shares one load per key for `ttlMs` (concurrent callers share the request in flight). A load that fails,
 * or whose value `keep` rejects, is forgotten at once, so the next delivery asks again.
 */
export function burstCache<T>(ttlMs: number, keep: (value: T) => boolean = () => true, now: () => number = Date.now): BurstCache<T> {
  const entries = new Map<string, { value: Promise<T>; expiresAt: number }>();
  return {
    get(key, load) {
      const at = now();
      const hit = entries.get(key);
      if (hit && hit.expiresAt > at) return hit.value;
      // Expired entries go when their key is asked again, and all of them whenever the map grows large.
      if (entries.size > 1_000) for (const [k, e] of entries) if (e.expiresAt <= at) entries.delete(k);
      const value = load();
      const entry = { value, expiresAt: at + ttlMs };
      entries.set(key, entry);
      const forget = () => {
        if (entries.get(key) === entry) entries.delete(key);
      };
      value.then((v) => (keep(v) ? undefined : forget()), forget);
      return value;
    },
  };
}

/**
 * Runs best-effort tasks one at a time, once deliveries pause for `quietMs` (but never later than `maxWaitMs`
 * after a task was queued): a burst of webhooks is answered first and acknowledged on GitHub right after,
 * instead of every acknowledgement competing with the deliveries still waiting for an answer.
 */
export function serialRunner(opts: { quietMs: number; maxWaitMs: number; onError?: (err: unknown) => void }): (task: () => Promise<void>) => Promise<void> {
  let tail: Promise<void> = Promise.resolve();
  let lastQueuedAt = 0;
  return (task) => {
    const queuedAt = Date.now();
    lastQueuedAt = queuedAt;
    tail = tail
      .then(async () => {
        for (;;) {
          const now = Date.now();
          const wait = Math.min(opts.quietMs - (now - lastQueuedAt), opts.maxWaitMs - (now - queuedAt));
          if (wait <= 0) break;
          await new Promise((r) => setTimeout(r, wait));
        }
        await task();
      })
      .catch((err: unknown) => opts.onError?.(err));
    return tail;
  };
}
