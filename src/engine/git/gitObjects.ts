// Reading git objects for the engine (commits, trees, blobs) through the store's ObjectReader, plus git's
// blob hash computed with node:crypto so the delta never needs to write an object to compare.
import { createHash } from "node:crypto";
import type { ObjectStore } from "./objectCache.js";
import type { BaselineEntry, GitMode } from "../types.js";

export function blobOid(content: Uint8Array): string {
  return createHash("sha1").update(`blob ${content.byteLength}\0`).update(content).digest("hex");
}

export interface TreeEntry {
  mode: string;
  path: string;
  oid: string;
  type: "blob" | "tree" | "commit";
}

export function readTreeEntries(store: ObjectStore, treeOid: string): TreeEntry[] {
  const { type, content } = store.reader.read(treeOid);
  if (type !== "tree") throw new Error(`${treeOid} is a ${type}, not a tree`);
  const entries: TreeEntry[] = [];
  let pos = 0;
  while (pos < content.length) {
    const space = content.indexOf(0x20, pos);
    const nul = content.indexOf(0, space);
    const mode = content.toString("latin1", pos, space);
    const name = content.toString("utf8", space + 1, nul);
    const oid = content.toString("hex", nul + 1, nul + 21);
    const type = mode === "40000" || mode === "040000" ? "tree" : mode === "160000" ? "commit" : "blob";
    entries.push({ mode: type === "tree" ? "040000" : mode, path: name, oid, type });
    pos = nul + 21;
  }
  return entries;
}

export function commitTreeOid(store: ObjectStore, commitSha: string): string {
  const { type, content } = store.reader.read(commitSha);
  if (type !== "commit") throw new Error(`${commitSha} is a ${type}, not a commit`);
  const match = /^tree ([0-9a-f]{40})/.exec(content.toString("latin1", 0, 46));
  if (!match) throw new Error(`commit ${commitSha} has no tree`);
  return match[1];
}

/** Every file of a commit's tree: path → blob id and mode (directories flattened, posix paths). */
export async function listCommitFiles(
  store: ObjectStore,
  commitSha: string,
  /** When given, receives every directory's tree id ("" for the root). */
  dirsOut?: Map<string, string>,
): Promise<Record<string, BaselineEntry>> {
  const files: Record<string, BaselineEntry> = {};
  const pending: { prefix: string; oid: string }[] = [{ prefix: "", oid: commitTreeOid(store, commitSha) }];
  while (pending.length > 0) {
    const { prefix, oid } = pending.pop()!;
    dirsOut?.set(prefix.replace(/\/$/, ""), oid);
    for (const entry of readTreeEntries(store, oid)) {
      const full = prefix + entry.path;
      if (entry.type === "tree") pending.push({ prefix: `${full}/`, oid: entry.oid });
      else files[full] = { oid: entry.oid, mode: normalizeMode(entry.mode) };
    }
  }
  return files;
}

export function normalizeMode(mode: string): GitMode {
  if (mode === "100755" || mode === "120000" || mode === "160000") return mode;
  return "100644";
}

export async function readBlob(store: ObjectStore, oid: string): Promise<Buffer> {
  return readBlobSync(store, oid);
}

export function readBlobSync(store: ObjectStore, oid: string): Buffer {
  const { type, content } = store.reader.read(oid);
  if (type !== "blob") throw new Error(`${oid} is a ${type}, not a blob`);
  return content;
}

/** Runs `work` over items with at most `limit` in flight. */
export async function forEachLimited<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let index = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (index < items.length) {
      const item = items[index++];
      await work(item);
    }
  });
  await Promise.all(workers);
}
