// The embedded job store's tables and the mapping of a row to a JobRecord (JSON columns parsed with care).
import type Database from "better-sqlite3";
import type { JobRecord, JobState } from "../types.js";

export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS jobs (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  key TEXT NOT NULL,
  repo TEXT NOT NULL,
  installation_id INTEGER,
  state TEXT NOT NULL,
  spec TEXT NOT NULL,
  steps TEXT NOT NULL DEFAULT '[]',
  outcome TEXT,
  error TEXT,
  cancel_reason TEXT,
  cancel_requested INTEGER NOT NULL DEFAULT 0,
  progress TEXT NOT NULL DEFAULT '{}',
  claims INTEGER NOT NULL DEFAULT 0,
  lease_expiries INTEGER NOT NULL DEFAULT 0,
  failures INTEGER NOT NULL DEFAULT 0,
  run_after_ms INTEGER NOT NULL DEFAULT 0,
  created_ms INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  finished_at TEXT
);
-- Claims walk queued jobs in arrival order; the first few rows are nearly always claimable.
CREATE INDEX IF NOT EXISTS jobs_by_state_seq ON jobs(state, seq);
CREATE INDEX IF NOT EXISTS jobs_by_key ON jobs(key, seq);
CREATE INDEX IF NOT EXISTS jobs_by_repo ON jobs(repo, created_ms);
CREATE INDEX IF NOT EXISTS jobs_by_installation ON jobs(installation_id, created_ms);
CREATE TABLE IF NOT EXISTS deliveries (
  delivery_id TEXT PRIMARY KEY,
  job_id TEXT NOT NULL,
  created_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS deliveries_by_age ON deliveries(created_ms);
CREATE TABLE IF NOT EXISTS leases (
  job_id TEXT PRIMARY KEY,
  worker_id TEXT NOT NULL,
  token TEXT NOT NULL,
  expires_ms INTEGER NOT NULL
);
`;

export interface JobRow {
  seq: number;
  id: string;
  key: string;
  repo: string;
  installation_id: number | null;
  state: string;
  spec: string;
  steps: string;
  outcome: string | null;
  error: string | null;
  cancel_reason: string | null;
  cancel_requested: number;
  progress: string;
  claims: number;
  lease_expiries: number;
  failures: number;
  run_after_ms: number;
  created_ms: number;
  created_at: string;
  updated_at: string;
  finished_at: string | null;
}

const STATES: readonly JobState[] = ["queued", "running", "succeeded", "failed", "cancelled"];

function parseJson(text: string | null, column: string): unknown {
  if (text === null) return undefined;
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`column ${column} holds invalid JSON: ${(err as Error).message}`, { cause: err });
  }
}

/** Throws a plain Error naming the bad column; callers record the row as corrupt and go on. */
export function rowToRecord(row: JobRow): JobRecord {
  if (!STATES.includes(row.state as JobState)) throw new Error(`unknown state ${JSON.stringify(row.state)}`);
  const spec = parseJson(row.spec, "spec");
  const steps = parseJson(row.steps, "steps");
  const progress = parseJson(row.progress, "progress");
  if (typeof spec !== "object" || spec === null) throw new Error("column spec is not an object");
  if (!Array.isArray(steps)) throw new Error("column steps is not an array");
  const record: JobRecord = {
    id: row.id,
    key: row.key,
    spec: spec as JobRecord["spec"],
    state: row.state as JobState,
    claims: row.claims,
    failures: row.failures,
    steps: steps as JobRecord["steps"],
    progress: (progress ?? {}) as JobRecord["progress"],
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
  const outcome = parseJson(row.outcome, "outcome");
  const error = parseJson(row.error, "error");
  if (outcome) record.outcome = outcome as JobRecord["outcome"];
  if (error) record.error = error as JobRecord["error"];
  if (row.cancel_reason !== null) record.cancelReason = row.cancel_reason;
  if (row.finished_at !== null) record.finishedAt = row.finished_at;
  return record;
}

export function openSchema(db: Database.Database, busyTimeoutMs: number): void {
  db.pragma("journal_mode = WAL");
  db.pragma(`busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
  // FULL: an enqueue answered with 2xx is on disk, power loss included (NORMAL could lose the last commits).
  db.pragma("synchronous = FULL");
  db.exec(SCHEMA_SQL);
}
