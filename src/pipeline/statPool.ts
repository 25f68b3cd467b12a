// lstat of many paths, split between this thread and one helper thread. On a large tree the lstat calls (the
// syscall and Node's binding around it) are most of a delta's cost; git's own `status` splits them across
// threads the same way (core.preloadIndex). Results are plain numbers, ENTRY_FIELDS per path.
import { lstatSync } from "node:fs";
import { Worker } from "node:worker_threads";

/** size, mtimeMs, ctimeMs, ino, mode, nlink; size is -1 for a path that no longer exists. */
export const ENTRY_FIELDS = 6;
/** Below this many paths the helper's message round trip costs more than it saves. */
const MIN_PARALLEL = 4_000;

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

let helper: Helper | undefined;
let nextId = 0;

export async function lstatMany(root: string, rels: string[]): Promise<Float64Array> {
  const rows = new Float64Array(rels.length * ENTRY_FIELDS);
  if (rels.length < MIN_PARALLEL) {
    fillRows(lstatSync, rows, root, rels, 0, rels.length, 0);
    return rows;
  }
  const split = rels.length >> 1;
  const tail = onHelper(root, rels.slice(split)).catch(() => undefined);
  fillRows(lstatSync, rows, root, rels, 0, split, 0);
  const helped = await tail;
  // A helper that failed (or could not start) only costs time: do its half here.
  if (helped) rows.set(helped, split * ENTRY_FIELDS);
  else fillRows(lstatSync, rows, root, rels, split, rels.length, split * ENTRY_FIELDS);
  return rows;
}

function onHelper(root: string, rels: string[]): Promise<Float64Array> {
  const h = (helper ??= startHelper());
  const id = nextId++;
  return new Promise((resolve, reject) => {
    // Referenced only while it owes an answer: an idle helper must never keep a process (a CLI run, a test)
    // alive, and a busy one must, or the process could exit while awaiting it.
    if (h.waiting.size === 0) h.worker.ref();
    h.waiting.set(id, { resolve, reject });
    h.worker.postMessage({ id, root, rels });
  });
}

function startHelper(): Helper {
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
    if (helper === h) helper = undefined;
    for (const waiter of h.waiting.values()) waiter.reject(err);
    h.waiting.clear();
  };
  worker.on("error", fail);
  worker.on("exit", () => fail(new Error("the lstat helper thread exited")));
  // After the listeners: attaching a message listener references the worker again.
  worker.unref();
  return h;
}
