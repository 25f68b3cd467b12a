// Reading and writing git objects for the engine (trees, blobs, commits) through isomorphic-git,
// plus git's blob hash computed with node:crypto so the delta never needs to write an object to compare.
import { createHash } from "node:crypto";
import fs from "node:fs";
import git from "isomorphic-git";
import type { ObjectStore } from "./objectCache.js";
import type { BaselineEntry, GitMode } from "./types.js";

export function blobOid(content: Uint8Array): string {
  return createHash("sha1").update(`blob ${content.byteLength}\0`).update(content).digest("hex");
}

export async function commitTreeOid(store: ObjectStore, commitSha: string): Promise<string> {
  const { commit } = await git.readCommit({ fs, gitdir: store.gitdir, oid: commitSha, cache: store.memo });
  return commit.tree;
}

/** Every file of a commit's tree: path → blob id and mode (directories flattened, posix paths). */
export async function listCommitFiles(
  store: ObjectStore,
  commitSha: string,
  /** When given, receives every directory's tree id ("" for the root). */
  dirsOut?: Map<string, string>,
): Promise<Record<string, BaselineEntry>> {
  const files: Record<string, BaselineEntry> = {};
  const rootTree = await commitTreeOid(store, commitSha);
  // Trees are read level by level in parallel: a deep sequential walk pays one pack lookup at a time.
  let level: { prefix: string; oid: string }[] = [{ prefix: "", oid: rootTree }];
  while (level.length > 0) {
    const next: { prefix: string; oid: string }[] = [];
    await Promise.all(
      level.map(async ({ prefix, oid }) => {
        dirsOut?.set(prefix.replace(/\/$/, ""), oid);
        const { tree } = await git.readTree({ fs, gitdir: store.gitdir, oid, cache: store.memo });
        for (const entry of tree) {
          const full = prefix + entry.path;
          if (entry.type === "tree") next.push({ prefix: `${full}/`, oid: entry.oid });
          else files[full] = { oid: entry.oid, mode: normalizeMode(entry.mode) };
        }
      }),
    );
    level = next;
  }
  return files;
}

export function normalizeMode(mode: string): GitMode {
  if (mode === "100755" || mode === "120000" || mode === "160000") return mode;
  return "100644";
}

export async function readBlob(store: ObjectStore, oid: string): Promise<Buffer> {
  const { blob } = await git.readBlob({ fs, gitdir: store.gitdir, oid, cache: store.memo });
  return Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
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
