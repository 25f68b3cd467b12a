// Job records in Redis, readable by every process: one hash per job, pointers per issue key, sets per state,
// and time indexes for quotas. Every change goes through a Lua script (scripts.ts), so it is atomic.
import type { Redis } from "ioredis";
import { cancelledOutcome, corruptRecord, newJobId, newRecord, SUPERSEDED_REASON, type JobLog } from "../records.js";
import type { Settlement } from "../runner.js";
import { jobKey, type JobRecord, type JobSpec, type JobState, type StepRecord } from "../types.js";
import { CANCEL, CLAIM, ENQUEUE, FINISH, PRUNE, SAVE } from "./scripts.js";
import type { PayloadStore } from "../payloads.js";

/** Redis keeps a delivery id long after GitHub stops redelivering it (its redelivery window is days). */
const DELIVERY_TTL_SEC = 30 * 24 * 3600;
const STATES: readonly JobState[] = ["queued", "running", "succeeded", "failed", "cancelled"];

export type ClaimResult =
  | { kind: "claimed"; job: JobRecord }
  | { kind: "cancel"; reason: string }
  | { kind: "busy" }
  | { kind: "later"; runAfterMs: number }
  | { kind: "skip"; state?: string };

export type SaveResult = "ok" | "cancel" | "lost";

function parseField(hash: Record<string, string>, field: string): unknown {
  const text = hash[field];
  if (text === undefined || text === "") return undefined;
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`field ${field} holds invalid JSON: ${(err as Error).message}`, { cause: err });
  }
}

export function hashToRecord(hash: Record<string, string>): JobRecord {
  if (!STATES.includes(hash.state as JobState)) throw new Error(`unknown state ${JSON.stringify(hash.state)}`);
  const spec = parseField(hash, "spec");
  const steps = parseField(hash, "steps") ?? [];
  if (typeof spec !== "object" || spec === null) throw new Error("field spec is not an object");
  if (!Array.isArray(steps)) throw new Error("field steps is not an array");
  const record: JobRecord = {
    id: hash.id,
    key: hash.key,
    spec: spec as JobSpec,
    state: hash.state as JobState,
    claims: Number(hash.claims ?? 0),
    failures: Number(hash.failures ?? 0),
    steps: steps as StepRecord[],
    progress: (parseField(hash, "progress") ?? {}) as JobRecord["progress"],
    createdAt: hash.createdAt,
    updatedAt: hash.updatedAt,
  };
  const outcome = parseField(hash, "outcome");
  const error = parseField(hash, "error");
  if (outcome) record.outcome = outcome as JobRecord["outcome"];
  if (error) record.error = error as JobRecord["error"];
  if (hash.cancelReason) record.cancelReason = hash.cancelReason;
  if (hash.finishedAt) record.finishedAt = hash.finishedAt;
  return record;
}

export class RedisJobStore {
  constructor(
    readonly redis: Redis,
    readonly prefix: string,
    private readonly log: JobLog,
    readonly payloads: PayloadStore,
  ) {}

  get cancelChannel(): string {
    return `${this.prefix}:cancel`;
  }

  private readonly commands = new Map<string, string>();

  /** Scripts run by SHA (EVALSHA, loaded on first use) rather than sending their text on every call. */
  private run(script: string, ...args: Array<string | number>): Promise<unknown> {
    let name = this.commands.get(script);
    if (!name) {
      name = `autofixJobs${this.commands.size}`;
      this.redis.defineCommand(name, { numberOfKeys: 0, lua: script });
      this.commands.set(script, name);
    }
    const command = (this.redis as unknown as Record<string, (...a: string[]) => Promise<unknown>>)[name];
    return command.call(this.redis, this.prefix, ...args.map(String));
  }

  private toRecord(id: string, hash: Record<string, string>): JobRecord {
    try {
      const record = hashToRecord(hash);
      this.payloads.attach(record.id, record.steps);
      return record;
    } catch (err) {
      this.log.error({ jobId: id, err }, "corrupt job record");
      return corruptRecord(id, hash.key ?? "", hash.createdAt, err);
    }
  }

  async get(id: string): Promise<JobRecord | undefined> {
    const hash = await this.redis.hgetall(`${this.prefix}:job:${id}`);
    return Object.keys(hash).length === 0 ? undefined : this.toRecord(id, hash);
  }

  private async getMany(ids: string[]): Promise<JobRecord[]> {
    if (ids.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hgetall(`${this.prefix}:job:${id}`);
    const results = (await pipeline.exec()) ?? [];
    const records: JobRecord[] = [];
    results.forEach(([err, hash], i) => {
      if (!err && hash && Object.keys(hash as object).length > 0) records.push(this.toRecord(ids[i], hash as Record<string, string>));
    });
    return records;
  }

  async latest(key: string): Promise<JobRecord | undefined> {
    const [id] = await this.redis.zrevrange(`${this.prefix}:bykey:${key}`, 0, 0);
    return id ? this.get(id) : undefined;
  }

  async list(states: JobState[] | undefined, limit: number): Promise<JobRecord[]> {
    if (!states || states.length === 0) return this.getMany(await this.redis.zrevrange(`${this.prefix}:all`, 0, limit - 1));
    // Newest first across several state sets: take the newest `limit` of each, merge by sequence number.
    const perState = await Promise.all(states.map((s) => this.redis.zrevrange(`${this.prefix}:state:${s}`, 0, limit - 1, "WITHSCORES")));
    const merged: Array<[string, number]> = [];
    for (const flat of perState) for (let i = 0; i < flat.length; i += 2) merged.push([flat[i], Number(flat[i + 1])]);
    merged.sort((a, b) => b[1] - a[1]);
    return this.getMany(merged.slice(0, limit).map(([id]) => id));
  }

  async countSince(scope: { repo?: string } | { installationId?: number }, sinceMs: number): Promise<number> {
    const index =
      "repo" in scope && scope.repo !== undefined
        ? `repo:${scope.repo}`
        : "installationId" in scope && scope.installationId !== undefined
          ? `inst:${scope.installationId}`
          : "created";
    return this.redis.zcount(`${this.prefix}:${index}`, sinceMs, "+inf");
  }

  async enqueue(spec: JobSpec): Promise<{ job: JobRecord; created: boolean; superseded?: { id: string; state: string } }> {
    const nowMs = Date.now();
    const nowIso = new Date(nowMs).toISOString();
    const key = jobKey(spec.repo, spec.issueNumber);
    const id = newJobId(nowMs);
    const [kind, resultId, oldId, oldState] = (await this.run(
      ENQUEUE,
      id,
      key,
      spec.deliveryId ?? "",
      nowMs,
      nowIso,
      JSON.stringify(spec),
      `${spec.repo.owner}/${spec.repo.repo}`,
      spec.installationId ?? "",
      SUPERSEDED_REASON,
      JSON.stringify(cancelledOutcome(SUPERSEDED_REASON)),
      DELIVERY_TTL_SEC,
    )) as [string, string, string, string];
    if (kind === "dup") {
      const existing = await this.get(resultId);
      if (existing) return { job: existing, created: false };
    }
    return {
      job: newRecord(id, key, spec, nowIso),
      created: true,
      superseded: oldId ? { id: oldId, state: oldState } : undefined,
    };
  }

  async cancel(key: string, reason: string): Promise<{ record?: JobRecord; wasState?: string }> {
    const result = (await this.run(CANCEL, key, reason, new Date().toISOString(), JSON.stringify(cancelledOutcome(reason)))) as string[];
    if (result.length === 0) return {};
    return { record: await this.get(result[0]), wasState: result[1] };
  }

  async claim(id: string, token: string): Promise<ClaimResult> {
    const nowMs = Date.now();
    const [kind, detail] = (await this.run(CLAIM, id, token, nowMs, new Date(nowMs).toISOString())) as [string, string?];
    if (kind === "claimed") {
      const job = await this.get(id);
      if (!job) return { kind: "skip" };
      if (job.error?.code === "JOB_RECORD_CORRUPT") {
        await this.settle(id, token, {
          state: "failed",
          outcome: { kind: "error", message: `The job's stored record is unreadable: ${job.error.message}` },
          failures: job.failures,
          error: job.error,
        });
        return { kind: "skip", state: "failed" };
      }
      return { kind: "claimed", job };
    }
    if (kind === "cancel") return { kind: "cancel", reason: detail ?? "the job was stopped" };
    if (kind === "busy") return { kind: "busy" };
    if (kind === "later") return { kind: "later", runAfterMs: Number(detail) };
    return { kind: "skip", state: detail };
  }

  private async save(id: string, token: string, ...fieldsAndValues: string[]): Promise<SaveResult> {
    const result = Number(await this.run(SAVE, id, token, new Date().toISOString(), ...fieldsAndValues));
    return result === -1 ? "lost" : result === 1 ? "cancel" : "ok";
  }

  saveSteps(id: string, token: string, steps: StepRecord[], progress: JobRecord["progress"]): Promise<SaveResult> {
    return this.save(id, token, "steps", JSON.stringify(this.payloads.externalize(id, steps)), "progress", JSON.stringify(progress));
  }

  /** Deletes ended jobs finished before `beforeIso` with their payload files; returns how many. */
  async pruneFinished(beforeIso: string, scanPerState = 1_000): Promise<number> {
    let total = 0;
    // Each call looks at the oldest jobs of each ended state; go on while a call still finds some.
    for (let round = 0; round < 100; round++) {
      const removed = (await this.run(PRUNE, beforeIso, scanPerState)) as string[];
      for (const id of removed) this.payloads.remove(id);
      total += removed.length;
      if (removed.length === 0) break;
    }
    return total;
  }

  async hasJob(id: string): Promise<boolean> {
    return (await this.redis.exists(`${this.prefix}:job:${id}`)) === 1;
  }

  /** Jobs and the bytes their hashes take in Redis (MEMORY USAGE, sampled over at most 1,000 jobs). */
  async usage(): Promise<{ jobs: number; recordBytes: number }> {
    const jobs = await this.redis.zcard(`${this.prefix}:all`);
    const ids = await this.redis.zrange(`${this.prefix}:all`, 0, 999);
    let sampled = 0;
    for (const id of ids) sampled += Number((await this.redis.call("MEMORY", "USAGE", `${this.prefix}:job:${id}`)) ?? 0);
    return { jobs, recordBytes: ids.length === 0 ? 0 : Math.round((sampled / ids.length) * jobs) };
  }

  saveProgress(id: string, token: string, progress: JobRecord["progress"]): Promise<SaveResult> {
    return this.save(id, token, "progress", JSON.stringify(progress));
  }

  /** Lease check plus the cancel flag, for the worker's heartbeat. */
  check(id: string, token: string): Promise<SaveResult> {
    return this.save(id, token);
  }

  async cancelReason(id: string): Promise<string> {
    return (await this.redis.hget(`${this.prefix}:job:${id}`, "cancelReason")) ?? "the job was stopped";
  }

  /** The per-installation cap's bucket of a job, read before claiming it. */
  async installationBucket(id: string): Promise<number> {
    const inst = await this.redis.hget(`${this.prefix}:job:${id}`, "installationId");
    return inst ? Number(inst) : -1;
  }

  /** Clears a queued job's delay; the caller promotes its BullMQ delivery. */
  async wake(id: string): Promise<boolean> {
    const [state, runAfter] = await this.redis.hmget(`${this.prefix}:job:${id}`, "state", "runAfterMs");
    if (state !== "queued" || Number(runAfter ?? 0) <= 0) return false;
    await this.redis.hset(`${this.prefix}:job:${id}`, "runAfterMs", "0");
    return true;
  }

  async stateAfterRun(id: string): Promise<{ state?: string; runAfterMs: number }> {
    const [state, runAfter] = await this.redis.hmget(`${this.prefix}:job:${id}`, "state", "runAfterMs");
    return { state: state ?? undefined, runAfterMs: Number(runAfter ?? 0) };
  }

  async settle(id: string, token: string, s: Settlement): Promise<boolean> {
    const write = (x: Settlement) =>
      this.run(
        FINISH,
        id,
        token,
        new Date().toISOString(),
        x.state,
        x.state === "queued" ? "" : JSON.stringify(x.outcome),
        x.failures,
        x.error ? JSON.stringify(x.error) : "",
        x.state === "cancelled" ? (x.cancelReason ?? "") : "",
        x.state === "queued" ? x.runAfterMs : 0,
      ).then(Number);
    const result = await write(s);
    if (result !== 2) return result === 1;
    // A cancel was asked while the job ran: it ends cancelled rather than going back to the queue.
    const reason = await this.cancelReason(id);
    return (await write({ state: "cancelled", outcome: cancelledOutcome(reason), failures: s.failures, error: s.error, cancelReason: reason })) === 1;
  }
}
