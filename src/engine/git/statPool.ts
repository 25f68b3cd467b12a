// lstat of many paths, shared between this thread and one helper thread. On a large tree the lstat calls (the
// syscall and Node's binding around it) are most of a delta's cost; git's own `status` spreads them over
// threads the same way (core.preloadIndex). Results are plain numbers, ENTRY_FIELDS per path.
import { lstatSync } from "node:fs";
import { Worker } from "node:worker_threads";

/** size, mtimeMs, ctimeMs, ino, mode, nlink; size is -1 for a path that no longer exists. */
export const ENTRY_FIELDS = 6;

type FillRows = (lstat: typeof lstatSync, rows: Float64Array, root: string, rels: string[], from: number, to: number, at: number) => void;

// One source for both threads, as a string: the helper is an eval'd worker (no module resolution, so it runs
// the same under tsx, vitest and dist/), and a transpiler can never change what it runs.
const FILL_ROWS_SOURCE = `function fillRows(lstat, rows, root, rels, from, to, at) {
  for (let i = from; i < to; i++, at += ${ENTRY_FIELDS}) {
    const s = lstat(root + "/" + rels[i], { throwIfNoEntry: false });
    if (!s) {
      rows[at] = -1;
      continue;
    }
    rows[at] = s.size;
    rows[at + 1] = s.mtimeMs;
    rows[at + 2] = s.ctimeMs;
    rows[at + 3] = s.ino;
    rows[at + 4] = s.mode;
    rows[at + 5] = s.nlink;
  }
}`;
const fillRows = new Function(`return ${FILL_ROWS_SOURCE}`)() as FillRows;

const HELPER_SOURCE = `
const { parentPort } = require("node:worker_threads");
const { lstatSync } = require("node:fs");
${FILL_ROWS_SOURCE}
parentPort.on("message", ({ id, root, rels }) => {
  const rows = new Float64Array(rels.length * ${ENTRY_FIELDS});
  let error;
  try { fillRows(lstatSync, rows, root, rels, 0, rels.length, 0); } catch (err) { error = String(err && err.message || err); }
  parentPort.postMessage({ id, rows, error }, [rows.buffer]);
});`;

interface Helper {
  worker: Worker;
  waiting: Map<number, { resolve: (rows: Float64Array) => void; reject: (err: Error) => void }>;
}

/** Paths per message to the helper: large enough that a round trip is noise, small enough to share the tail. */
const BATCH = 2_000;
/** Batches handed to the helper ahead of time; the rest stay here, for whichever thread is free first. */
const AHEAD = 2;

export interface LstatStream {
  /** Queue one path (relative to root); its lstat may start at once on the helper thread. */
  push(rel: string): void;
  /** Every pushed path's lstat, ENTRY_FIELDS numbers each in push order: this thread takes what is left. */
  finish(): Promise<Float64Array>;
}

/**
 * The lstat helper thread of one engine (see createEngine): started on first use, terminated by `close`. Owned,
 * not module state, so a test or a second engine in one process never shares (or closes) another's thread.
 */
export class StatPool {
  private helper: Helper | undefined;
  private nextId = 0;
  private closed = false;

  /**
   * lstat while the caller is still listing: full batches go to the helper thread as they fill (two at a time),
   * and `finish` does the batches the helper has not taken on this thread, then waits for the helper's. So the
   * helper's lstat overlaps whatever the caller does between its pushes and `finish`.
   */
  stream(root: string): LstatStream {
    return lstatStream(root, (rels) => this.onHelper(root, rels));
  }

  /** The helper thread's id while it runs (it starts on the first tree of two batches or more). */
  get helperThreadId(): number | undefined {
    return this.helper?.worker.threadId;
  }

  /** Stops the helper thread; later streams do all their lstat calls on the caller's thread. */
  async close(): Promise<void> {
    this.closed = true;
    const h = this.helper;
    this.helper = undefined;
    if (h) await h.worker.terminate();
  }

  private onHelper(root: string, rels: string[]): Promise<Float64Array> {
    if (this.closed) return Promise.reject(new Error("the lstat helper is closed"));
    const h = (this.helper ??= this.startHelper());
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      // Referenced only while it owes an answer: an idle helper must never keep a process (a CLI run, a test)
      // alive, and a busy one must, or the process could exit while awaiting it.
      if (h.waiting.size === 0) h.worker.ref();
      h.waiting.set(id, { resolve, reject });
      h.worker.postMessage({ id, root, rels });
    });
  }

  private startHelper(): Helper {
    // No execArgv: the parent's loaders (tsx, vitest) are of no use to this plain CommonJS and slow its start.
    const worker = new Worker(HELPER_SOURCE, { eval: true, execArgv: [] });
    const h: Helper = { worker, waiting: new Map() };
    worker.on("message", ({ id, rows, error }: { id: number; rows: Float64Array; error?: string }) => {
      const waiter = h.waiting.get(id);
      h.waiting.delete(id);
      if (h.waiting.size === 0) worker.unref();
      if (error) waiter?.reject(new Error(error));
      else waiter?.resolve(rows);
    });
    const fail = (err: Error) => {
      if (this.helper === h) this.helper = undefined;
      for (const waiter of h.waiting.values()) waiter.reject(err);
      h.waiting.clear();
    };
    worker.on("error", fail);
    worker.on("exit", () => fail(new Error("the lstat helper thread exited")));
    // After the listeners: attaching a message listener references the worker again.
    worker.unref();
    return h;
  }
}

function lstatStream(root: string, onHelper: (rels: string[]) => Promise<Float64Array>): LstatStream {
  const rels: string[] = [];
  const queued: number[] = []; // start index of each full batch not yet handed out
  const answers: Promise<void>[] = [];
  let rows = new Float64Array(BATCH * 8 * ENTRY_FIELDS);
  let inFlight = 0;
  const ensure = (count: number) => {
    if (rows.length >= count * ENTRY_FIELDS) return;
    const grown = new Float64Array(Math.max(rows.length * 2, count * ENTRY_FIELDS));
    grown.set(rows);
    rows = grown;
  };
  const runHere = (from: number, to: number) => {
    ensure(to);
    fillRows(lstatSync, rows, root, rels, from, to, from * ENTRY_FIELDS);
  };
  const pump = () => {
    while (inFlight < AHEAD && queued.length > 0) {
      const from = queued.shift()!;
      const to = from + BATCH;
      inFlight++;
      answers.push(
        onHelper(rels.slice(from, to))
          .then(
            (batch) => {
              ensure(to);
              rows.set(batch, from * ENTRY_FIELDS);
            },
            // A helper that failed (or could not start) only costs time: its batch is done here.
            () => runHere(from, to),
          )
          .finally(() => {
            inFlight--;
            pump();
          }),
      );
    }
  };
  return {
    push(rel) {
      rels.push(rel);
      if (rels.length % BATCH !== 0) return;
      queued.push(rels.length - BATCH);
      // Small trees never start the helper: below two batches its round trips cost more than they save.
      if (rels.length >= 2 * BATCH) pump();
    },
    async finish() {
      const tailFrom = rels.length - (rels.length % BATCH);
      runHere(tailFrom, rels.length);
      // From the back: the helper takes batches from the front.
      while (queued.length > 0) {
        const from = queued.pop()!;
        runHere(from, from + BATCH);
      }
      while (answers.length > 0) await Promise.all(answers.splice(0));
      return rows.subarray(0, rels.length * ENTRY_FIELDS);
    },
  };
}
