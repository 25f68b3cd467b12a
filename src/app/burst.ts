// Relief for bursts of webhooks: a few seconds of memory for what the label handler asks GitHub before it
// may enqueue (config, permission), and the notice board that says what it has to say on GitHub after answering.
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

/** Something the app says on GitHub after answering a webhook: a reaction, a "queued" note, an explanation. */
export interface Notice {
  /** Notices of one lane (an installation) are posted one at a time; lanes do not wait for each other. */
  lane: string;
  /** One notice per key is posted within `rememberMs`, however many deliveries ask for it. */
  key: string;
  post(): Promise<void>;
}

export interface NoticeBoard {
  /** Queues the notice unless one with its key is queued or was posted recently; false when it was a duplicate. */
  submit(notice: Notice): boolean;
  /** Resolves once every notice submitted so far has been tried. */
  idle(): Promise<void>;
}

export interface NoticeBoardOptions {
  /** Wait for this pause in submissions before posting, so a burst of webhooks is answered first. */
  quietMs: number;
  /** ...but never wait longer than this after a notice was submitted. */
  maxWaitMs: number;
  /** How long a posted key is remembered (redeliveries and re-applied labels come within minutes). */
  rememberMs: number;
  /** Keys remembered at most; the oldest go first. */
  maxKeys?: number;
  onError?(err: unknown, notice: Notice): void;
  now?(): number;
}

/**
 * The runner for everything the label handler says on GitHub: deduplicated by key, posted after the
 * webhook's answer, one at a time per installation. GitHub's client-side pacing (Probot keys it by installation)
 * then delays only that installation's notices: one noisy repository cannot hold back another's comments.
 * A notice that fails is forgotten, so the next delivery asking for it tries again.
 */
export function noticeBoard(opts: NoticeBoardOptions): NoticeBoard {
  const now = opts.now ?? Date.now;
  const maxKeys = opts.maxKeys ?? 10_000;
  const remembered = new Map<string, number>();
  const lanes = new Map<string, Promise<void>>();
  let lastSubmittedAt = 0;

  const forgetExpired = (at: number) => {
    for (const [key, until] of remembered) if (until <= at) remembered.delete(key);
    // Map order is insertion order: past the cap, the oldest keys go.
    for (const key of remembered.keys()) {
      if (remembered.size <= maxKeys) break;
      remembered.delete(key);
    }
  };

  const waitForQuiet = async (submittedAt: number) => {
    for (;;) {
      const at = Date.now();
      const wait = Math.min(opts.quietMs - (at - lastSubmittedAt), opts.maxWaitMs - (at - submittedAt));
      if (wait <= 0) return;
      await new Promise((r) => setTimeout(r, wait));
    }
  };

  return {
    submit(notice) {
      const at = now();
      const until = remembered.get(notice.key);
      if (until !== undefined && until > at) return false;
      if (remembered.size >= maxKeys) forgetExpired(at);
      remembered.delete(notice.key);
      remembered.set(notice.key, at + opts.rememberMs);
      const submittedAt = Date.now();
      lastSubmittedAt = submittedAt;
      const tail = (lanes.get(notice.lane) ?? Promise.resolve())
        .then(() => waitForQuiet(submittedAt))
        .then(() => notice.post())
        .catch((err: unknown) => {
          remembered.delete(notice.key);
          opts.onError?.(err, notice);
        });
      lanes.set(notice.lane, tail);
      // An idle lane is dropped, so the map holds only installations with notices under way.
      void tail.then(() => {
        if (lanes.get(notice.lane) === tail) lanes.delete(notice.lane);
      });
      return true;
    },
    async idle() {
      while (lanes.size > 0) await Promise.all([...lanes.values()]);
    },
  };
}
