// A PR's whole change read back from git: the tree of its head against the tree its first commit was made
// on. Used to re-absorb a PR whose change was revised (so no single recorded delta holds it) onto a base
// branch that moved. Only the bot's own commits are ever read this way: a human's push hands the PR over.
import { openObjectStore, fetchBranch, resolveBase } from "./git/objectCache.js";
import { engineOr, type Engine } from "./engineContext.js";
import { listCommitFiles, readBlob } from "./git/gitObjects.js";
import { deltaStats } from "./deltaStats.js";
import { isBinary, textPatch } from "./textPatch.js";
import type { Delta, FileChange, RepoSource } from "./types.js";
import type { RecordedChange } from "./types.js";

export interface BranchChangeInput {
  source: RepoSource;
  cacheRoot: string;
  /** The PR's head branch and the commit it should be at. */
  branch: string;
  headSha: string;
  /** The commit the PR's first commit was made on. */
  forkSha: string;
  signal?: AbortSignal;
  /** Whose object readers to use (the default engine when left out). */
  engine?: Engine;
}

/** The change, or undefined when it touches a submodule (which absorb cannot carry). */
export async function branchChange(input: BranchChangeInput): Promise<RecordedChange | undefined> {
  const store = await openObjectStore(input.source, input.cacheRoot, engineOr(input.engine).readers);
  try {
    const head = await fetchBranch(store, input.source, input.branch, input.signal);
    // The branch moved again since GitHub listed its commits: a later event covers that head.
    if (head !== input.headSha) return undefined;
    const fork = await resolveBase(store, input.source, input.forkSha, input.signal);
    const from = await listCommitFiles(store, fork);
    const to = await listCommitFiles(store, head);
    const files: FileChange[] = [];
    for (const p of [...new Set([...Object.keys(from), ...Object.keys(to)])].sort()) {
      const before = from[p];
      const after = to[p];
      if (before && after && before.oid === after.oid && before.mode === after.mode) continue;
      if (before?.mode === "160000" || after?.mode === "160000") return undefined;
      if (!after) {
        const old = await readBlob(store, before.oid);
        const binary = before.mode === "120000" || isBinary(old);
        files.push({
          path: p,
          kind: "delete",
          oldMode: before.mode,
          oldOid: before.oid,
          binary,
          size: 0,
          ...(binary ? { linesAdded: 0, linesDeleted: 0 } : textPatch(p, old, undefined)),
        });
        continue;
      }
      const content = await readBlob(store, after.oid);
      const old = before ? await readBlob(store, before.oid) : undefined;
      const link = after.mode === "120000";
      const binary = !link && (isBinary(content) || (old !== undefined && isBinary(old)));
      files.push({
        path: p,
        kind: before ? "modify" : "add",
        oldMode: before?.mode,
        newMode: after.mode,
        oldOid: before?.oid,
        newOid: after.oid,
        binary,
        ...(link ? { linkTarget: content.toString("utf8") } : {}),
        contentBase64: content.toString("base64"),
        size: content.length,
        ...(binary || link || before?.mode === "120000" ? { linesAdded: 0, linesDeleted: 0 } : textPatch(p, old, content)),
      });
    }
    const delta: Delta = {
      baseSha: fork,
      files,
      stats: deltaStats(files),
      excluded: [],
      touchedButRestored: false,
    };
    return { baseline: { baseSha: fork, files: from }, delta };
  } finally {
    store.reader.close();
  }
}
