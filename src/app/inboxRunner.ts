// Decides recorded webhook deliveries after the answer: one at a time per issue key, in receipt order, with a
// bounded number of tries. Records whose process died before deciding them are taken over by the sweep.
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { INBOX_MAX_PAYLOAD_BYTES, type Inbox, type InboxEntry, type InboxRecord } from "../jobs/index.js";

type Log = { info(o: object, m?: string): void; warn(o: object, m?: string): void; error(o: object, m?: string): void };

export interface InboxRunnerOptions {
  inbox: Inbox;
  /** Decides one delivery (rebuilds its context and calls the handler); throwing means "try again". */
  decide(entry: InboxEntry): Promise<void>;
  log: Log;
  /** How long a process holds a record it is deciding; a lapsed lease means the process died. */
  leaseMs: number;
  /** How often lapsed records are looked for (and this process's leases renewed). */
  sweepMs?: number;
  /** Pauses between in-process tries of one delivery; one try more than pauses. */
  retryDelaysMs?: number[];
  /** Processes that took one record (and died deciding it) before it is given up. */
  maxClaims?: number;
  maxPayloadBytes?: number;
  /**
   * Decisions wait for this pause in arriving deliveries (default 50 ms), so a burst is answered before its
   * decisions compete with the answers for the event loop...
   */
  quietMs?: number;
  /** ...but no delivery waits longer than this to be decided (default 1 s). */
  maxWaitMs?: number;
}

export type Acceptance = "recorded" | "duplicate" | "too-large";

export class InboxRunner {
  readonly holder = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  /** Tail of each key's chain: a key's records are decided one after another. */
  private readonly chains = new Map<string, Promise<void>>();
  /** Records this process holds and has not decided yet. */
  private readonly held = new Set<string>();
  private sweeper?: NodeJS.Timeout;
  private sweeping?: Promise<void>;
  private stopped = false;
  /** Recorded here, waiting for a pause in the burst before their decisions start. */
  private waiting: InboxRecord[] = [];
  private waitingSince = 0;
  private lastAcceptedAt = 0;
  private released?: Promise<void>;

  constructor(private readonly opts: InboxRunnerOptions) {}

  /** Records a delivery before the webhook is answered; its decision starts once the answer is on its way. */
  async accept(entry: InboxEntry): Promise<Acceptance> {
    const bytes = Buffer.byteLength(JSON.stringify(entry.payload));
    if (bytes > (this.opts.maxPayloadBytes ?? INBOX_MAX_PAYLOAD_BYTES)) return "too-large";
    // Once stopping, a delivery is only recorded, free for the next process at once.
    if (!(await this.opts.inbox.record(entry, this.holder, this.stopped ? 0 : this.opts.leaseMs))) return "duplicate";
    if (this.stopped) return "recorded";
    this.held.add(entry.id);
    this.lastAcceptedAt = Date.now();
    if (this.waiting.length === 0) this.waitingSince = this.lastAcceptedAt;
    this.waiting.push({ ...entry, seq: 0, attempts: 1 });
    this.released ??= this.releaseAfterQuiet();
    return "recorded";
  }

  /** Starts the waiting decisions once deliveries pause (or the oldest has waited maxWaitMs), always after a macrotask. */
  private async releaseAfterQuiet(): Promise<void> {
    const quietMs = this.opts.quietMs ?? 50;
    const maxWaitMs = this.opts.maxWaitMs ?? 1_000;
    for (;;) {
      const now = Date.now();
      const wait = Math.min(quietMs - (now - this.lastAcceptedAt), maxWaitMs - (now - this.waitingSince));
      await new Promise((r) => (wait > 0 ? setTimeout(r, wait) : setImmediate(r)));
      if (wait <= 0) break;
    }
    this.released = undefined;
    for (const record of this.waiting.splice(0)) this.schedule(record);
  }

  /** Takes over what dead processes left, now and every `sweepMs`. */
  start(): void {
    const sweep = () => {
      this.sweeping ??= this.sweep()
        .catch((err: unknown) => this.opts.log.warn({ err: String(err) }, "could not look for webhook deliveries left undecided; trying again later"))
        .finally(() => (this.sweeping = undefined));
    };
    sweep();
    this.sweeper = setInterval(sweep, this.opts.sweepMs ?? 15_000).unref();
  }

  private async sweep(): Promise<void> {
    if (this.stopped) return;
    await this.opts.inbox.renew(this.holder, [...this.held], this.opts.leaseMs);
    const records = await this.opts.inbox.claimExpired(this.holder, this.opts.leaseMs, 500);
    const maxClaims = this.opts.maxClaims ?? 5;
    for (const record of records) {
      if (this.held.has(record.id)) continue;
      if (record.attempts > maxClaims || typeof record.payload !== "object" || record.payload === null) {
        const why =
          record.attempts > maxClaims ? `taken ${record.attempts - 1} times by processes that stopped before deciding it` : "its payload is unreadable";
        this.opts.log.error({ deliveryId: record.id, event: record.name, key: record.key }, `webhook delivery given up: ${why}`);
        await this.opts.inbox.settle(record.id);
        continue;
      }
      this.opts.log.warn(
        { deliveryId: record.id, event: record.name, key: record.key, receivedAt: record.receivedAt },
        "deciding a webhook delivery left undecided",
      );
      this.held.add(record.id);
      this.schedule(record);
    }
  }

  private schedule(record: InboxRecord): void {
    const tail = (this.chains.get(record.key) ?? Promise.resolve()).then(() => this.run(record));
    this.chains.set(record.key, tail);
    void tail.then(() => {
      if (this.chains.get(record.key) === tail) this.chains.delete(record.key);
    });
  }

  private async run(record: InboxRecord): Promise<void> {
    if (this.stopped) return;
    const delays = this.opts.retryDelaysMs ?? [1_000, 5_000];
    const where = { deliveryId: record.id, event: record.name, key: record.key };
    for (let attempt = 0; ; attempt++) {
      try {
        await this.opts.decide(record);
        break;
      } catch (err) {
        if (attempt >= delays.length || this.stopped) {
          this.opts.log.error(
            { ...where, tries: attempt + 1, err: String(err) },
            "webhook delivery could not be decided; given up (redeliver it from the App's settings once the cause is fixed)",
          );
          break;
        }
        this.opts.log.warn({ ...where, try: attempt + 1, err: String(err) }, "webhook delivery could not be decided; trying again");
        await new Promise((r) => setTimeout(r, delays[attempt]));
      }
    }
    try {
      await this.opts.inbox.settle(record.id);
    } catch (err) {
      // Left in the inbox: decided again once its lease lapses (the handlers are idempotent).
      this.opts.log.warn({ ...where, err: String(err) }, "could not remove a decided webhook delivery from the inbox");
    }
    this.held.delete(record.id);
  }

  /** Resolves once every delivery recorded or taken so far is decided. */
  async idle(): Promise<void> {
    for (let i = 0; i < 1_000 && (this.chains.size > 0 || this.released || this.sweeping); i++) {
      await Promise.all([...this.chains.values(), this.sweeping, this.released]);
    }
  }

  /** Waits up to `graceMs` for decisions under way; what is left is released for the next process at once. */
  async stop(graceMs: number): Promise<void> {
    clearInterval(this.sweeper);
    await Promise.race([this.idle(), new Promise((r) => setTimeout(r, graceMs).unref())]);
    this.stopped = true;
    const left = [...this.held];
    if (left.length === 0) return;
    await this.opts.inbox.release(this.holder, left).catch(() => undefined);
    this.opts.log.info({ deliveries: left.length }, "webhook deliveries left undecided at stop; the next process decides them");
  }
}
