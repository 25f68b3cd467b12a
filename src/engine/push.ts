// Publishes an absorbed commit as refs/heads/<branch>: over smart HTTP with isomorphic-git (credentials
// only through onAuth), or, for an offline run on a local repository, by copying the new objects into it
// and writing the branch ref there.
import fs from "node:fs";
import { mkdir, readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import git from "isomorphic-git";
import http from "isomorphic-git/http/node";
import { AutofixError, throwIfAborted } from "../errors.js";
import { GitTransportFailed, redactUrl } from "./errors.js";
import { isLocalSource, writeAtomic } from "./git/objectCache.js";
import type { RepoSource } from "./types.js";

export interface PushOptions {
  gitdir: string;
  source: RepoSource;
  branch: string;
  commitSha: string;
  force: boolean;
  signal?: AbortSignal;
}

export class PushRejected extends AutofixError {
  constructor(branch: string, url: string, reason: string) {
    super(
      "PUSH_REJECTED",
      {
        what: `The branch \`${branch}\` could not be updated on ${redactUrl(url)}.`,
        why: reason,
        next: "Someone else may have pushed to that branch; delete it or comment `/autofix retry`.",
      },
      { data: { branch, reason } },
    );
  }
}

export async function pushBranch(opts: PushOptions): Promise<void> {
  throwIfAborted(opts.signal);
  if (isLocalSource(opts.source)) return pushLocal(opts);
  const ref = `refs/heads/${opts.branch}`;
  await git.writeRef({ fs, gitdir: opts.gitdir, ref, value: opts.commitSha, force: true });
  let result: Awaited<ReturnType<typeof git.push>>;
  try {
    result = await git.push({
      fs,
      http,
      gitdir: opts.gitdir,
      url: opts.source.url,
      ref,
      remoteRef: ref,
      force: opts.force,
      onAuth: async () => (await opts.source.auth?.()) ?? { cancel: true },
      onAuthFailure: () => ({ cancel: true }),
    });
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === "PushRejectedError") throw new PushRejected(opts.branch, opts.source.url, (err as Error).message);
    throw new GitTransportFailed("push to", opts.source.url, err);
  }
  const status = result.refs?.[ref];
  if (!result.ok || (status && !status.ok)) {
    throw new PushRejected(opts.branch, opts.source.url, status?.error ?? result.error ?? "the server refused the update");
  }
}

async function pushLocal(opts: PushOptions): Promise<void> {
  const target = fs.existsSync(path.join(opts.source.url, ".git")) ? path.join(opts.source.url, ".git") : opts.source.url;
  // The private gitdir's loose objects are exactly the new ones (everything else came from this repository).
  const objectsDir = path.join(opts.gitdir, "objects");
  for (const fanout of await readdir(objectsDir)) {
    if (!/^[0-9a-f]{2}$/.test(fanout)) continue;
    for (const name of await readdir(path.join(objectsDir, fanout))) {
      const dest = path.join(target, "objects", fanout, name);
      if (await exists(dest)) continue;
      await mkdir(path.dirname(dest), { recursive: true });
      await writeAtomic(dest, await readFile(path.join(objectsDir, fanout, name)));
    }
  }
  const ref = `refs/heads/${opts.branch}`;
  if (!opts.force) {
    const current = await git.resolveRef({ fs, gitdir: target, ref }).catch(() => undefined);
    if (current && current !== opts.commitSha) {
      const fastForward = await git.isDescendent({ fs, gitdir: target, oid: opts.commitSha, ancestor: current, depth: -1 }).catch(() => false);
      if (!fastForward) throw new PushRejected(opts.branch, opts.source.url, "the branch has commits that are not in this change (not a fast-forward)");
    }
  }
  const refFile = path.join(target, ...ref.split("/"));
  await mkdir(path.dirname(refFile), { recursive: true });
  await writeAtomic(refFile, `${opts.commitSha}\n`);
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}
