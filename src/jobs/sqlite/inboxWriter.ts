// The inbox's writes (record, settle) on a helper thread with its own connection: a commit waits for the disk
// (synchronous = FULL, about 3 ms here), and on the main thread that wait would hold up every webhook being answered.
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";

export type WriteOp = { kind: "record"; rows: Array<[string, string, string, string, string, string, number]> } | { kind: "settle"; ids: string[] };

// Plain CommonJS as a string, eval'd: no module resolution or loader (tsx, vitest, dist/ alike), like statPool.ts.
const WRITER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
const db = new Database(workerData.path);
db.pragma("busy_timeout = 10000");
db.pragma("synchronous = FULL");
const insert = db.prepare("INSERT OR IGNORE INTO inbox (id, name, key, payload, received_at, holder, lease_until_ms) VALUES (?, ?, ?, ?, ?, ?, ?)");
const remove = db.prepare("DELETE FROM inbox WHERE id = ?");
// Group commit: messages that arrived while a commit waited for the disk are written by the next one together.
const write = db.transaction((ops) => ops.map(({ op }) => (op.kind === "record" ? op.rows.map((r) => insert.run(...r).changes > 0) : (op.ids.forEach((id) => remove.run(id)), []))));
let pending = [];
const flush = () => {
  const ops = pending;
  pending = [];
  try {
    write.immediate(ops).forEach((result, i) => parentPort.postMessage({ id: ops[i].id, result }));
  } catch (err) {
    for (const { id } of ops) parentPort.postMessage({ id, error: String((err && err.message) || err) });
  }
};
parentPort.on("message", (message) => {
  if (pending.length === 0) setImmediate(flush);
  pending.push(message);
});`;

export class InboxWriter {
  private worker?: Worker;
  private nextId = 0;
  private closed = false;
  private readonly waiting = new Map<number, { resolve(result: boolean[]): void; reject(err: Error): void }>();

  constructor(private readonly path: string) {}

  write(op: WriteOp): Promise<boolean[]> {
    if (this.closed) return Promise.reject(new Error("the job store is closed"));
    const worker = (this.worker ??= this.start());
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      // Referenced only while it owes an answer, so an idle writer never keeps a process alive.
      if (this.waiting.size === 0) worker.ref();
      this.waiting.set(id, { resolve, reject });
      worker.postMessage({ id, op });
    });
  }

  private start(): Worker {
    const driver = createRequire(import.meta.url).resolve("better-sqlite3");
    const worker = new Worker(WRITER_SOURCE, { eval: true, execArgv: [], workerData: { path: this.path, driver } });
    worker.on("message", ({ id, result, error }: { id: number; result?: boolean[]; error?: string }) => {
      const waiter = this.waiting.get(id);
      this.waiting.delete(id);
      if (this.waiting.size === 0) worker.unref();
      if (error !== undefined) waiter?.reject(new Error(error));
      else waiter?.resolve(result ?? []);
    });
    const fail = (err: Error) => {
      if (this.worker === worker) this.worker = undefined;
      for (const waiter of this.waiting.values()) waiter.reject(err);
      this.waiting.clear();
    };
    worker.on("error", fail);
    worker.on("exit", () => fail(new Error("the inbox writer thread exited")));
    worker.unref();
    return worker;
  }

  /** Waits for writes under way (bounded), then stops the thread. */
  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    this.worker = undefined;
    if (!worker) return;
    for (let i = 0; i < 100 && this.waiting.size > 0; i++) await new Promise((r) => setTimeout(r, 20));
    await worker.terminate();
  }
}
