// Absorb: the agent's delta alone, applied onto the base branch's *current* head, as one commit whose
// parent is that head. Files untouched upstream take the agent's version; files changed on both sides are
// merged three ways; anything that cannot be merged without guessing throws MergeConflict, committing
// nothing. Only trees along changed paths are rewritten; every other subtree is reused from head.
import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import { link, mkdir, readdir, writeFile } from "node:fs/promises";
import path from "node:path";
import git from "isomorphic-git";
import { throwIfAborted } from "../errors.js";
import { MergeConflict } from "./errors.js";
import { listCommitFiles, readBlob, readTreeEntries } from "./git/gitObjects.js";
import { mergeText } from "./merge3.js";
import { fetchBranch, initBare, openObjectStore, type ObjectStore } from "./git/objectCache.js";
import { engineOr, type Engine } from "./engineContext.js";
import { isBinary } from "./textPatch.js";
import type { Baseline, BaselineEntry, Delta, FileChange, GitMode, RepoSource } from "./types.js";

export interface AbsorbOptions {
  delta: Delta;
  baseline: Baseline;
  source: RepoSource;
  /** Branch whose current head becomes the parent. */
  onto: string;
  cacheRoot: string;
  workRoot: string;
  message: string;
  author: { name: string; email: string };
  signal?: AbortSignal;
  /** The job absorbing: its gitdir is named after it, so the job's cleanup finds one a crash left behind. */
  jobId?: string;
  /** Whose object readers to use (the default engine when left out). */
  engine?: Engine;
}

/** Prefix of the absorb gitdirs of a job (under `<workRoot>/.absorb`). */
export function absorbDirPrefix(jobId: string): string {
  return `job-${jobId.replace(/[^A-Za-z0-9_.-]/g, "_")}-`;
}

export interface AbsorbResult {
  commitSha: string;
  parentSha: string;
  /** Private bare gitdir holding the new objects; pass it to pushBranch. */
  gitdir: string;
  /** Paths merged three ways because the base branch changed them too. */
  merged: string[];
}

type Conflict = { path: string; reason: string; hunks: string[] };

export async function absorb(opts: AbsorbOptions): Promise<AbsorbResult> {
  const store = await openObjectStore(opts.source, path.resolve(opts.cacheRoot), engineOr(opts.engine).readers);
  try {
    return await absorbWith(store, opts);
  } finally {
    store.reader.close();
  }
}

async function absorbWith(store: ObjectStore, opts: AbsorbOptions): Promise<AbsorbResult> {
  const { delta, baseline, source, onto, signal } = opts;
  const headSha = await fetchBranch(store, source, onto, signal);
  throwIfAborted(signal);
  const headDirs = new Map<string, string>();
  const headFiles = await listCommitFiles(store, headSha, headDirs);

  const gitdir = await prepareGitdir(opts, headSha, store);
  const next = new Map<string, BaselineEntry | null>(); // path → new entry, or null for removal
  const conflicts: Conflict[] = [];
  const merged: string[] = [];
  for (const change of delta.files) {
    const outcome = await resolveChange(change, baseline.files[change.path], headFiles[change.path], store);
    if ("conflict" in outcome) conflicts.push({ path: change.path, ...outcome.conflict });
    else if (outcome.entry !== undefined) {
      if (outcome.merged) merged.push(change.path);
      if (outcome.content) await git.writeBlob({ fs, gitdir, blob: outcome.content });
      next.set(change.path, outcome.entry);
    }
  }
  for (const p of next.keys()) {
    const clash = pathClash(p, next, headFiles);
    if (clash) conflicts.push({ path: p, reason: clash, hunks: [] });
  }
  if (conflicts.length) throw new MergeConflict(conflicts, onto, headSha);

  const tree = await writeTrees(gitdir, store, headDirs, next);
  const now = Math.floor(Date.now() / 1000);
  const person = { ...opts.author, timestamp: now, timezoneOffset: 0 };
  const commitSha = await git.writeCommit({
    fs,
    gitdir,
    commit: { message: opts.message.endsWith("\n") ? opts.message : `${opts.message}\n`, tree, parent: [headSha], author: person, committer: person },
  });
  return { commitSha, parentSha: headSha, gitdir, merged };
}

type Resolution = { conflict: { reason: string; hunks: string[] } } | { entry?: BaselineEntry | null; content?: Uint8Array; merged?: boolean };

async function resolveChange(change: FileChange, base: BaselineEntry | undefined, head: BaselineEntry | undefined, store: ObjectStore): Promise<Resolution> {
  const upstreamUnchanged = base?.oid === head?.oid && base?.mode === head?.mode;
  if (change.kind === "delete") {
    if (!head) return {}; // deleted upstream too
    if (upstreamUnchanged) return { entry: null };
    return { conflict: { reason: "the agent deleted this file, but the base branch changed it since the job started", hunks: [] } };
  }
  const content = Buffer.from(change.contentBase64 ?? "", "base64");
  const mine: BaselineEntry = { oid: change.newOid!, mode: change.newMode ?? "100644" };
  if (upstreamUnchanged || (head && head.oid === mine.oid && head.mode === mine.mode)) return { entry: mine, content };
  if (!head) {
    return { conflict: { reason: "the agent changed this file, but the base branch deleted it since the job started", hunks: [] } };
  }
  if (!base) {
    return { conflict: { reason: "the agent added this file, but the base branch added a different file at the same path", hunks: [] } };
  }
  // Changed on both sides. A pure mode change on one side combines with a content change on the other.
  const mode: GitMode = change.newMode !== base.mode ? mine.mode : head.mode;
  if (mine.oid === base.oid) return { entry: { oid: head.oid, mode }, merged: true };
  if (head.oid === base.oid) return { entry: { oid: mine.oid, mode }, content, merged: true };
  if (change.binary || [base.mode, head.mode, mine.mode].includes("120000")) {
    return { conflict: { reason: "both the agent and the base branch changed this binary file or link; it cannot be merged", hunks: [] } };
  }
  const [baseText, headText] = await Promise.all([readBlob(store, base.oid), readBlob(store, head.oid)]);
  if (isBinary(headText)) {
    return { conflict: { reason: "the base branch turned this file into a binary; it cannot be merged", hunks: [] } };
  }
  const outcome = mergeText(change.path, baseText.toString("utf8"), content.toString("utf8"), headText.toString("utf8"));
  if (!outcome.ok) {
    return { conflict: { reason: "the agent and the base branch changed the same lines", hunks: outcome.hunks } };
  }
  const mergedContent = Buffer.from(outcome.text, "utf8");
  return { entry: { oid: gitBlobOid(mergedContent), mode }, content: mergedContent, merged: true };
}

function gitBlobOid(content: Uint8Array): string {
  return createHash("sha1").update(`blob ${content.byteLength}\0`).update(content).digest("hex");
}

/** A file where the result needs a directory (or the reverse) cannot be expressed as one tree. */
function pathClash(p: string, next: Map<string, BaselineEntry | null>, head: Record<string, BaselineEntry>): string | undefined {
  if (next.get(p) === null) return undefined;
  for (let d = path.posix.dirname(p); d !== "."; d = path.posix.dirname(d)) {
    const asFile = next.has(d) ? next.get(d) : head[d];
    if (asFile) return `the result needs ${d} to be a directory, but it is a file`;
  }
  return undefined;
}

/** Rewrites only the trees on changed paths, bottom-up; returns the root tree id. */
async function writeTrees(gitdir: string, store: ObjectStore, headDirs: Map<string, string>, next: Map<string, BaselineEntry | null>): Promise<string> {
  const dirs = new Set<string>([""]);
  for (const p of next.keys()) {
    for (let d = path.posix.dirname(p); d !== "."; d = path.posix.dirname(d)) dirs.add(d);
  }
  const depth = (d: string) => (d === "" ? 0 : d.split("/").length);
  const newDirOids = new Map<string, string | null>();
  for (const dir of [...dirs].sort((a, b) => depth(b) - depth(a))) {
    const entries = new Map<string, { mode: string; path: string; oid: string; type: "blob" | "tree" | "commit" }>();
    const existing = headDirs.get(dir);
    if (existing) {
      for (const e of readTreeEntries(store, existing)) entries.set(e.path, e);
    }
    const prefix = dir === "" ? "" : `${dir}/`;
    for (const [p, entry] of next) {
      if (!p.startsWith(prefix) || p.slice(prefix.length).includes("/")) continue;
      const name = p.slice(prefix.length);
      if (entry === null) entries.delete(name);
      else entries.set(name, { mode: entry.mode, path: name, oid: entry.oid, type: entry.mode === "160000" ? "commit" : "blob" });
    }
    for (const [sub, oid] of newDirOids) {
      if (!sub.startsWith(prefix) || sub.slice(prefix.length).includes("/") || sub === dir) continue;
      const name = sub.slice(prefix.length);
      if (oid === null) entries.delete(name);
      else entries.set(name, { mode: "040000", path: name, oid, type: "tree" });
    }
    // git never stores an empty directory: drop it from its parent (the root tree may be empty).
    if (entries.size === 0 && dir !== "") newDirOids.set(dir, null);
    else newDirOids.set(dir, await git.writeTree({ fs, gitdir, tree: [...entries.values()] }));
  }
  return newDirOids.get("")!;
}

/** A fresh private bare gitdir; for HTTP sources it links the cache's packs so push can walk head's objects. */
async function prepareGitdir(opts: AbsorbOptions, headSha: string, store: ObjectStore): Promise<string> {
  const key = createHash("sha256")
    .update(JSON.stringify([opts.baseline.baseSha, headSha, opts.onto, opts.delta.files.map((f) => [f.path, f.newOid ?? null])]))
    .digest("hex")
    .slice(0, 24);
  // Unique per call: two jobs with identical changes onto the same head must never share (or delete) one
  // gitdir while the other is pushing from it. Old ones are removed by sweepStaleSpawns.
  const owner = opts.jobId ? absorbDirPrefix(opts.jobId) : "";
  const gitdir = path.join(path.resolve(opts.workRoot), ".absorb", `${owner}${key}-${randomBytes(4).toString("hex")}.git`);
  await initBare(gitdir);
  await writeFile(path.join(gitdir, "shallow"), `${headSha}\n`);
  // What the server already has: push's thin-pack logic skips every object reachable from this ref.
  await mkdir(path.join(gitdir, "refs", "remotes", "origin"), { recursive: true });
  await writeFile(path.join(gitdir, "refs", "remotes", "origin", "HEAD"), `ref: refs/remotes/origin/${opts.onto}\n`);
  await mkdir(path.dirname(path.join(gitdir, "refs", "remotes", "origin", opts.onto)), { recursive: true });
  await writeFile(path.join(gitdir, "refs", "remotes", "origin", opts.onto), `${headSha}\n`);
  if (!store.local) {
    const packDir = path.join(store.gitdir, "objects", "pack");
    for (const name of await readdir(packDir)) {
      if (name.endsWith(".pack") || name.endsWith(".idx")) {
        await link(path.join(packDir, name), path.join(gitdir, "objects", "pack", name)).catch(() =>
          fs.promises.copyFile(path.join(packDir, name), path.join(gitdir, "objects", "pack", name)),
        );
      }
    }
  }
  return gitdir;
}
