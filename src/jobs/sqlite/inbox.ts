// The embedded store's inbox: webhook deliveries recorded before the answer, decided after, deleted once decided.
// Records arriving in one tick are written in one transaction (one disk sync for a burst, not one per delivery),
// on a helper thread (inboxWriter.ts), so the sync never holds up the webhooks being answered meanwhile.
import type Database from "better-sqlite3";
import type { Inbox, InboxEntry, InboxRecord } from "../types.js";
import { InboxWriter } from "./inboxWriter.js";

const INBOX_SQL = `
CREATE TABLE IF NOT EXISTS inbox (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  key TEXT NOT NULL,
  payload TEXT NOT NULL,
  received_at TEXT NOT NULL,
  holder TEXT NOT NULL,
  lease_until_ms INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX IF NOT EXISTS inbox_by_lease ON inbox(lease_until_ms, seq);
`;

interface InboxRow {
  seq: number;
  id: string;
  name: string;
  key: string;
  payload: string;
  received_at: string;
  attempts: number;
}

/** An unreadable payload comes back as undefined: the runner settles it with an error instead of stalling the sweep. */
function parsed(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * Records arriving within this window share one message to the writer thread and one commit: a burst of 200
 * deliveries made ~64 commits per round with a tick's window and ~26 with 3 ms; each wake of the writer costs the
 * webhook thread a context switch on a busy 2-core machine (bench/ack.ts).
 */
const RECORD_BATCH_MS = 3;

type Pending = { entry: InboxEntry; holder: string; leaseMs: number; resolve(recorded: boolean): void; reject(err: unknown): void };

export class SqliteInbox implements Inbox {
  private batch: Pending[] = [];
  private settling: { id: string; resolve(): void; reject(err: unknown): void }[] = [];
  private readonly writer: InboxWriter;

  constructor(private readonly db: Database.Database) {
    db.exec(INBOX_SQL);
    this.writer = new InboxWriter(db.name);
  }

  /** Waits for writes under way and stops the writer thread (the store is closing). */
  close(): Promise<void> {
    return this.writer.close();
  }

  record(entry: InboxEntry, holder: string, leaseMs: number): Promise<boolean> {
    return new Promise((resolve, reject) => {
      if (this.batch.length === 0) setTimeout(() => this.flush(), RECORD_BATCH_MS);
      this.batch.push({ entry, holder, leaseMs, resolve, reject });
    });
  }

  private flush(): void {
    const batch = this.batch.splice(0);
    const nowMs = Date.now();
    const rows = batch.map(
      ({ entry, holder, leaseMs }) =>
        [entry.id, entry.name, entry.key, JSON.stringify(entry.payload), entry.receivedAt, holder, nowMs + leaseMs] as [
          string,
          string,
          string,
          string,
          string,
          string,
          number,
        ],
    );
    this.writer.write({ kind: "record", rows }).then(
      (results) => batch.forEach((p, i) => p.resolve(results[i])),
      (err: unknown) => batch.forEach((p) => p.reject(err)),
    );
  }

  async claimExpired(holder: string, leaseMs: number, limit: number): Promise<InboxRecord[]> {
    const rows = this.db
      .transaction(() => {
        const nowMs = Date.now();
        const found = this.db.prepare(`SELECT * FROM inbox WHERE lease_until_ms <= ? ORDER BY seq LIMIT ?`).all(nowMs, limit) as InboxRow[];
        const take = this.db.prepare(`UPDATE inbox SET holder = ?, lease_until_ms = ?, attempts = attempts + 1 WHERE seq = ?`);
        for (const row of found) take.run(holder, nowMs + leaseMs, row.seq);
        return found;
      })
      .immediate();
    return rows.map((row) => ({
      id: row.id,
      name: row.name,
      key: row.key,
      payload: parsed(row.payload),
      receivedAt: row.received_at,
      seq: row.seq,
      attempts: row.attempts + 1,
    }));
  }

  async renew(holder: string, ids: string[], leaseMs: number): Promise<void> {
    if (ids.length === 0) return;
    this.db
      .prepare(`UPDATE inbox SET lease_until_ms = ? WHERE holder = ? AND id IN (SELECT value FROM json_each(?))`)
      .run(Date.now() + leaseMs, holder, JSON.stringify(ids));
  }

  async release(holder: string, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    this.db.prepare(`UPDATE inbox SET lease_until_ms = 0 WHERE holder = ? AND id IN (SELECT value FROM json_each(?))`).run(holder, JSON.stringify(ids));
  }

  /** Batched like record(): a burst's decisions end in one transaction. */
  settle(id: string): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.settling.length === 0) setImmediate(() => this.flushSettled());
      this.settling.push({ id, resolve, reject });
    });
  }

  private flushSettled(): void {
    const batch = this.settling.splice(0);
    this.writer.write({ kind: "settle", ids: batch.map((p) => p.id) }).then(
      () => batch.forEach((p) => p.resolve()),
      (err: unknown) => batch.forEach((p) => p.reject(err)),
    );
  }

  async pending(): Promise<{ count: number; oldestReceivedAt?: string }> {
    const row = this.db.prepare(`SELECT COUNT(*) AS n, MIN(received_at) AS oldest FROM inbox`).get() as { n: number; oldest: string | null };
    return row.oldest === null ? { count: row.n } : { count: row.n, oldestReceivedAt: row.oldest };
  }
}
