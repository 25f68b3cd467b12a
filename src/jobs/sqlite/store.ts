// The embedded job store: every state change in one SQLite transaction, claims taken under BEGIN IMMEDIATE,
// every write of a running job fenced by its lease token so a worker that lost its lease writes nothing.
import Database from "better-sqlite3";
import {
  cancelledOutcome,
  corruptRecord,
  installationBucket,
  MAX_LEASE_EXPIRIES,
  newJobId,
  newLeaseToken,
  newRecord,
  SUPERSEDED_REASON,
  workerDiedOutcome,
  type JobLog,
} from "../records.js";
import type { Settlement } from "../runner.js";
import { jobKey, type JobRecord, type JobSpec, type JobState, type StepRecord } from "../types.js";
import { openSchema, rowToRecord, type JobRow } from "./schema.js";
import type { PayloadStore } from "../payloads.js";

export type Heartbeat = { kind: "ok" } | { kind: "lost" } | { kind: "cancel"; reason: string };

const json = (v: unknown): string | null => (v === undefined ? null : JSON.stringify(v));

export class SqliteJobStore {
  readonly db: Database.Database;

  constructor(
    readonly path: string,
    private readonly log: JobLog,
    readonly payloads: PayloadStore,
  ) {
    this.db = new Database(path);
    openSchema(this.db, 10_000);
  }

  private readonly statements = new Map<string, Database.Statement>();

  /** Prepared once per SQL text: preparing costs more than running these small statements. */
  private stmt(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /** A row that cannot be parsed still shows up (as failed, with why), so operators can see and clear it. */
  private toRecord(row: JobRow): JobRecord {
    try {
      return this.withPayloads(rowToRecord(row));
    } catch (err) {
      this.log.error({ jobId: row.id, err }, "corrupt job row");
      return corruptRecord(row.id, row.key, row.created_at, err);
    }
  }

  private withPayloads(record: JobRecord): JobRecord {
    this.payloads.attach(record.id, record.steps);
    return record;
  }

  private row(id: string): JobRow | undefined {
    return this.stmt("SELECT * FROM jobs WHERE id = ?").get(id) as JobRow | undefined;
  }

  get(id: string): JobRecord | undefined {
    const row = this.row(id);
    return row ? this.toRecord(row) : undefined;
  }

  latest(key: string): JobRecord | undefined {
    const row = this.stmt("SELECT * FROM jobs WHERE key = ? ORDER BY seq DESC LIMIT 1").get(key) as JobRow | undefined;
    return row ? this.toRecord(row) : undefined;
  }

  list(states: JobState[] | undefined, limit: number): JobRecord[] {
    const rows = (
      states && states.length > 0
        ? this.stmt(`SELECT * FROM jobs WHERE state IN (SELECT value FROM json_each(?)) ORDER BY seq DESC LIMIT ?`).all(JSON.stringify(states), limit)
        : this.stmt("SELECT * FROM jobs ORDER BY seq DESC LIMIT ?").all(limit)
    ) as JobRow[];
    return rows.map((r) => this.toRecord(r));
  }

  countSince(scope: { repo?: string } | { installationId?: number }, sinceMs: number): number {
    const [where, value] =
      "repo" in scope && scope.repo !== undefined
        ? ["repo = ? AND ", scope.repo]
        : "installationId" in scope && scope.installationId !== undefined
          ? ["installation_id = ? AND ", scope.installationId]
          : ["", undefined];
    const params = value === undefined ? [sinceMs] : [value, sinceMs];
    return (this.stmt(`SELECT COUNT(*) AS n FROM jobs WHERE ${where}created_ms >= ?`).get(...params) as { n: number }).n;
  }

  /** Cancels the key's queued job now; asks its running job to stop (returned so the caller can abort it). */
  private cancelActive(key: string, reason: string, nowIso: string): { record?: JobRecord; runningId?: string } {
    const row = this.stmt("SELECT * FROM jobs WHERE key = ? AND state IN ('queued','running') ORDER BY seq DESC LIMIT 1").get(key) as JobRow | undefined;
    if (!row) return {};
    if (row.state === "queued") {
      this.stmt(`UPDATE jobs SET state='cancelled', cancel_reason=?, outcome=?, updated_at=?, finished_at=? WHERE id=?`).run(
        reason,
        json(cancelledOutcome(reason)),
        nowIso,
        nowIso,
        row.id,
      );
      return { record: this.get(row.id) };
    }
    this.stmt(`UPDATE jobs SET cancel_requested=1, cancel_reason=COALESCE(cancel_reason, ?), updated_at=? WHERE id=?`).run(reason, nowIso, row.id);
    return { record: this.get(row.id), runningId: row.id };
  }

  enqueue(spec: JobSpec): { job: JobRecord; created: boolean; runningId?: string } {
    const tx = this.db.transaction(() => {
      if (spec.deliveryId) {
        const seen = this.stmt("SELECT job_id FROM deliveries WHERE delivery_id = ?").get(spec.deliveryId) as { job_id: string } | undefined;
        const existing = seen ? this.get(seen.job_id) : undefined;
        if (existing) return { job: existing, created: false };
      }
      const nowMs = Date.now();
      const nowIso = new Date(nowMs).toISOString();
      const key = jobKey(spec.repo, spec.issueNumber);
      const { runningId } = this.cancelActive(key, SUPERSEDED_REASON, nowIso);
      const record = newRecord(newJobId(nowMs), key, spec, nowIso);
      const repo = `${spec.repo.owner}/${spec.repo.repo}`;
      this.stmt(
        `INSERT INTO jobs (id, key, repo, installation_id, state, spec, created_ms, created_at, updated_at)
         VALUES (?, ?, ?, ?, 'queued', ?, ?, ?, ?)`,
      ).run(record.id, key, repo, spec.installationId ?? null, JSON.stringify(spec), nowMs, nowIso, nowIso);
      if (spec.deliveryId) {
        this.stmt("INSERT OR REPLACE INTO deliveries (delivery_id, job_id, created_ms) VALUES (?, ?, ?)").run(spec.deliveryId, record.id, nowMs);
      }
      return { job: record, created: true, runningId };
    });
    return tx.immediate();
  }

  wake(id: string): boolean {
    return this.stmt("UPDATE jobs SET run_after_ms = 0 WHERE id = ? AND state = 'queued' AND run_after_ms > 0").run(id).changes > 0;
  }

  /** GitHub redelivers for days, not months: older delivery ids only take space. */
  pruneDeliveries(olderThanMs: number): number {
    return this.stmt("DELETE FROM deliveries WHERE created_ms < ?").run(olderThanMs).changes;
  }

  /** Deletes jobs that ended before `beforeIso` (and their delivery ids and payload files); returns their ids. */
  pruneFinished(beforeIso: string, batch = 500): string[] {
    const ids: string[] = [];
    // In batches, so a first prune of a large store never holds the write lock for long.
    for (;;) {
      const chunk = this.db
        .transaction(() => {
          const rows = this.stmt(
            `SELECT id FROM jobs WHERE state IN ('succeeded','failed','cancelled') AND finished_at IS NOT NULL AND finished_at < ? LIMIT ?`,
          ).all(beforeIso, batch) as { id: string }[];
          for (const { id } of rows) {
            this.stmt("DELETE FROM deliveries WHERE job_id = ?").run(id);
            this.stmt("DELETE FROM jobs WHERE id = ?").run(id);
          }
          return rows.map((r) => r.id);
        })
        .immediate();
      for (const id of chunk) this.payloads.remove(id);
      ids.push(...chunk);
      if (chunk.length < batch) break;
    }
    if (ids.length > 0) this.db.pragma("wal_checkpoint(TRUNCATE)");
    return ids;
  }

  hasJob(id: string): boolean {
    return this.stmt("SELECT 1 FROM jobs WHERE id = ?").get(id) !== undefined;
  }

  count(): number {
    return (this.stmt("SELECT COUNT(*) AS n FROM jobs").get() as { n: number }).n;
  }

  cancel(key: string, reason: string): { record?: JobRecord; runningId?: string } {
    return this.db.transaction(() => this.cancelActive(key, reason, new Date().toISOString())).immediate();
  }

  private givenUp: JobRecord[] = [];

  /** Jobs this store marked failed because their workers kept dying; the worker reports them (onGiveUp). */
  takeGivenUp(): JobRecord[] {
    return this.givenUp.splice(0);
  }

  /** Jobs whose worker stopped renewing go back to the queue (or end cancelled, if a cancel was asked). */
  private reclaimExpired(nowMs: number, nowIso: string): void {
    const expired = this.stmt(
      `SELECT j.id, j.cancel_requested, j.cancel_reason, j.lease_expiries FROM jobs j LEFT JOIN leases l ON l.job_id = j.id
       WHERE j.state = 'running' AND (l.expires_ms IS NULL OR l.expires_ms < ?)`,
    ).all(nowMs) as { id: string; cancel_requested: number; cancel_reason: string | null; lease_expiries: number }[];
    for (const job of expired) {
      this.stmt("DELETE FROM leases WHERE job_id = ?").run(job.id);
      const expiries = job.lease_expiries + 1;
      if (job.cancel_requested) {
        const reason = job.cancel_reason ?? "the job was stopped";
        this.stmt(`UPDATE jobs SET state='cancelled', outcome=?, updated_at=?, finished_at=? WHERE id=?`).run(
          json(cancelledOutcome(reason)),
          nowIso,
          nowIso,
          job.id,
        );
      } else if (expiries >= MAX_LEASE_EXPIRIES) {
        this.stmt(
          `UPDATE jobs SET state='failed', lease_expiries=?, outcome=?, error=?, failures=failures+1, updated_at=?, finished_at=?
           WHERE id=?`,
        ).run(
          expiries,
          json(workerDiedOutcome(expiries)),
          json({ code: "JOB_WORKER_DIED", message: `the job's worker died ${expiries} times` }),
          nowIso,
          nowIso,
          job.id,
        );
        this.log.error({ jobId: job.id, expiries }, "job's workers keep dying; giving it up");
        const record = this.get(job.id);
        if (record) this.givenUp.push(record);
      } else {
        this.stmt(`UPDATE jobs SET state='queued', run_after_ms=0, lease_expiries=?, updated_at=? WHERE id=?`).run(expiries, nowIso, job.id);
        this.log.warn({ jobId: job.id, expiries }, "job lease expired; the job goes back to the queue to be resumed");
      }
    }
  }

  claim(workerId: string, saturatedBuckets: number[], leaseMs: number): { job: JobRecord; token: string } | undefined {
    const tx = this.db.transaction(() => {
      const nowMs = Date.now();
      const nowIso = new Date(nowMs).toISOString();
      this.reclaimExpired(nowMs, nowIso);
      // Bounded: each corrupt candidate is marked failed, so the next pass sees a different row.
      for (let attempt = 0; attempt < 20; attempt++) {
        const row = this.stmt(
          `SELECT * FROM jobs WHERE state = 'queued' AND run_after_ms <= ?
               AND key NOT IN (SELECT key FROM jobs WHERE state = 'running')
               AND COALESCE(installation_id, -1) NOT IN (SELECT value FROM json_each(?))
             ORDER BY seq LIMIT 1`,
        ).get(nowMs, JSON.stringify(saturatedBuckets)) as JobRow | undefined;
        if (!row) return undefined;
        let job: JobRecord;
        try {
          job = this.withPayloads(rowToRecord(row));
          installationBucket(job.spec);
        } catch (err) {
          this.log.error({ jobId: row.id, err }, "corrupt job row; marking it failed");
          this.stmt(`UPDATE jobs SET state='failed', error=?, outcome=?, updated_at=?, finished_at=? WHERE id=?`).run(
            json({ code: "JOB_RECORD_CORRUPT", message: (err as Error).message }),
            json({ kind: "error", message: `The job's stored record is unreadable: ${(err as Error).message}` }),
            nowIso,
            nowIso,
            row.id,
          );
          continue;
        }
        const token = newLeaseToken();
        this.stmt(`UPDATE jobs SET state='running', claims=claims+1, updated_at=? WHERE id=?`).run(nowIso, row.id);
        this.stmt("INSERT OR REPLACE INTO leases (job_id, worker_id, token, expires_ms) VALUES (?, ?, ?, ?)").run(row.id, workerId, token, nowMs + leaseMs);
        return { job: { ...job, state: "running" as const, claims: job.claims + 1, updatedAt: nowIso }, token };
      }
      return undefined;
    });
    return tx.immediate();
  }

  heartbeat(jobId: string, token: string, leaseMs: number): Heartbeat {
    const renewed = this.stmt("UPDATE leases SET expires_ms = ? WHERE job_id = ? AND token = ?").run(Date.now() + leaseMs, jobId, token);
    if (renewed.changes === 0) return { kind: "lost" };
    const row = this.stmt("SELECT cancel_requested, cancel_reason FROM jobs WHERE id = ?").get(jobId) as
      { cancel_requested: number; cancel_reason: string | null } | undefined;
    if (!row) return { kind: "lost" };
    if (row.cancel_requested) return { kind: "cancel", reason: row.cancel_reason ?? "the job was stopped" };
    return { kind: "ok" };
  }

  private holdsLease(jobId: string, token: string): boolean {
    const lease = this.stmt("SELECT token FROM leases WHERE job_id = ?").get(jobId) as { token: string } | undefined;
    return lease?.token === token;
  }

  private fenced(jobId: string, token: string, sql: string, ...params: unknown[]): boolean {
    return this.db.transaction(() => this.holdsLease(jobId, token) && (this.stmt(sql).run(...params), true)).immediate();
  }

  saveSteps(jobId: string, token: string, steps: StepRecord[], progress: JobRecord["progress"]): boolean {
    const sql = "UPDATE jobs SET steps=?, progress=?, updated_at=? WHERE id=?";
    const stored = JSON.stringify(this.payloads.externalize(jobId, steps));
    return this.fenced(jobId, token, sql, stored, JSON.stringify(progress), new Date().toISOString(), jobId);
  }

  saveProgress(jobId: string, token: string, progress: JobRecord["progress"]): boolean {
    const sql = "UPDATE jobs SET progress=?, updated_at=? WHERE id=?";
    return this.fenced(jobId, token, sql, JSON.stringify(progress), new Date().toISOString(), jobId);
  }

  settle(jobId: string, token: string, s: Settlement): boolean {
    const nowIso = new Date().toISOString();
    const tx = this.db.transaction(() => {
      if (!this.holdsLease(jobId, token)) return false;
      this.stmt("DELETE FROM leases WHERE job_id = ?").run(jobId);
      const asked = this.stmt("SELECT cancel_requested, cancel_reason FROM jobs WHERE id = ?").get(jobId) as
        { cancel_requested: number; cancel_reason: string | null } | undefined;
      // A job that was asked to stop never goes back to the queue, whatever ended its run.
      if (s.state === "queued" && asked?.cancel_requested) {
        const reason = asked.cancel_reason ?? "the job was stopped";
        s = { state: "cancelled", outcome: cancelledOutcome(reason), failures: s.failures, error: s.error };
      }
      if (s.state === "queued") {
        this.stmt(`UPDATE jobs SET state='queued', run_after_ms=?, failures=?, error=COALESCE(?, error), updated_at=? WHERE id=?`).run(
          s.runAfterMs,
          s.failures,
          json(s.error),
          nowIso,
          jobId,
        );
      } else {
        this.stmt(
          `UPDATE jobs SET state=?, outcome=?, failures=?, error=COALESCE(?, error),
             cancel_reason=COALESCE(?, cancel_reason), updated_at=?, finished_at=? WHERE id=?`,
        ).run(s.state, json(s.outcome), s.failures, json(s.error), s.cancelReason ?? null, nowIso, nowIso, jobId);
      }
      return true;
    });
    return tx.immediate();
  }
}
