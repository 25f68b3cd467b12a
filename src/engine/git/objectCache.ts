// Where the engine's git objects come from: a per-repository bare object cache under cacheRoot (for
// smart-HTTP sources) or the local repository itself (offline runs). Only immutable, content-addressed
// pack files are shared between jobs; fetches run in a private staging dir and packs are renamed in
// (.pack before .idx, since readers find packs by their index), so a reader never sees half an object.
import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import { copyFile, link, mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import git from "isomorphic-git";
import http from "isomorphic-git/http/node";
import { throwIfAborted } from "../../errors.js";
import type { RepoSource } from "../types.js";
import { withCacheLock } from "./cacheLock.js";
import { ObjectReader } from "./objectReader.js";
import { capturePacks, storePack } from "./packFetch.js";
import type { GitObject } from "./packFormat.js";
import { BaseNotFound, GitTransportFailed } from "../errors.js";

export interface ObjectStore {
  /** A gitdir holding (at least) every object the engine reads for this source. */
  gitdir: string;
  local: boolean;
  /** Reads objects from the store's packs and loose objects; one per gitdir per engine. */
  reader: ObjectReader;
}

const SHA_PATTERN = /^[0-9a-f]{40}$/;

export function isLocalSource(source: RepoSource): boolean {
  return path.isAbsolute(source.url) && !/^[a-z]+:\/\//i.test(source.url);
}

export function cacheDirFor(source: RepoSource, cacheRoot: string): string {
  const key = createHash("sha256").update(source.cacheKey).digest("hex").slice(0, 24);
  return path.join(cacheRoot, key);
}

/** One object reader per gitdir, owned by an engine (see createEngine) so its open pack files close with it. */
export class ObjectReaders {
  private readonly readers = new Map<string, ObjectReader>();

  for(gitdir: string): ObjectReader {
    let reader = this.readers.get(gitdir);
    if (!reader) {
      reader = new ObjectReader(gitdir);
      this.readers.set(gitdir, reader);
    }
    return reader;
  }

  close(): void {
    for (const reader of this.readers.values()) reader.close();
    this.readers.clear();
  }
}

export async function openObjectStore(source: RepoSource, cacheRoot: string, readers: ObjectReaders): Promise<ObjectStore> {
  if (isLocalSource(source)) {
    const dotGit = path.join(source.url, ".git");
    const gitdir = fs.existsSync(dotGit) ? dotGit : source.url;
    return { gitdir, local: true, reader: readers.for(gitdir) };
  }
  const gitdir = cacheDirFor(source, cacheRoot);
  await initBare(gitdir);
  return { gitdir, local: false, reader: readers.for(gitdir) };
}

/** Reopens the store a spawn was built from (recorded in the engine's state), with no network. */
export function storeAt(gitdir: string, local: boolean, readers: ObjectReaders): ObjectStore {
  return { gitdir, local, reader: readers.for(gitdir) };
}

/** Creates a minimal bare repository; safe to run concurrently (every write is create-if-missing). */
export async function initBare(gitdir: string): Promise<void> {
  await mkdir(path.join(gitdir, "objects", "pack"), { recursive: true });
  await mkdir(path.join(gitdir, "refs", "heads"), { recursive: true });
  await writeIfMissing(path.join(gitdir, "HEAD"), "ref: refs/heads/main\n");
  await writeIfMissing(path.join(gitdir, "config"), "[core]\n\trepositoryformatversion = 0\n\tbare = true\n");
}

async function writeIfMissing(file: string, content: string): Promise<void> {
  await writeFile(file, content, { flag: "wx" }).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== "EEXIST") throw err;
  });
}

export async function hasObject(store: ObjectStore, oid: string): Promise<boolean> {
  return store.reader.has(oid);
}

function authCallbacks(source: RepoSource) {
  return {
    onAuth: async () => (await source.auth?.()) ?? { cancel: true },
    // A rejected credential is final: never loop asking again.
    onAuthFailure: () => ({ cancel: true }),
  };
}

/** Resolves a branch name or 40-hex sha to a commit that is present in the store, fetching if needed. */
export async function resolveBase(store: ObjectStore, source: RepoSource, baseRef: string, signal?: AbortSignal): Promise<string> {
  throwIfAborted(signal);
  if (store.local) return resolveLocal(store, baseRef);
  if (SHA_PATTERN.test(baseRef)) {
    if (await hasObject(store, baseRef)) return baseRef;
    await fetchIntoCache(store, source, "HEAD", false, signal);
    if (await hasObject(store, baseRef)) return baseRef;
    // Not a branch tip any more (a resumed job pinned to an older commit): fetch whole history once.
    await fetchIntoCache(store, source, "HEAD", false, signal, { fullHistory: true });
    if (await hasObject(store, baseRef)) return baseRef;
    throw new BaseNotFound(baseRef);
  }
  // A cold cache has nothing to compare with: skip the ref lookup and fetch (one round trip fewer).
  if (!(await hasAnyPack(store))) return fetchBranch(store, source, baseRef, signal);
  const advertised = await lookupBranch(source, baseRef);
  if (await hasObject(store, advertised)) return advertised;
  return fetchBranch(store, source, baseRef, signal);
}

/** The branch's current head, fetched into the store (always asks the server: it may have moved). */
export async function fetchBranch(store: ObjectStore, source: RepoSource, branch: string, signal?: AbortSignal): Promise<string> {
  if (store.local) return resolveLocal(store, branch);
  const head = await fetchIntoCache(store, source, branch, true, signal);
  if (!head) throw new BaseNotFound(branch);
  return head;
}

async function hasAnyPack(store: ObjectStore): Promise<boolean> {
  const names = await readdir(path.join(store.gitdir, "objects", "pack")).catch(() => [] as string[]);
  return names.some((n) => n.endsWith(".idx"));
}

async function resolveLocal(store: ObjectStore, ref: string): Promise<string> {
  try {
    const oid = SHA_PATTERN.test(ref) ? ref : await git.resolveRef({ fs, gitdir: store.gitdir, ref });
    const { type } = store.reader.read(oid);
    if (type !== "commit") throw new Error(`${ref} is a ${type}, not a commit`);
    return oid;
  } catch (err) {
    throw new BaseNotFound(ref, err);
  }
}

async function lookupBranch(source: RepoSource, branch: string): Promise<string> {
  let refs: { ref: string; oid: string }[];
  try {
    refs = await git.listServerRefs({ http, url: source.url, prefix: `refs/heads/${branch}`, ...authCallbacks(source) });
  } catch (err) {
    throw new GitTransportFailed("list the branches of", source.url, err);
  }
  const match = refs.find((r) => r.ref === `refs/heads/${branch}`);
  if (!match) throw new BaseNotFound(branch);
  return match.oid;
}

async function fetchIntoCache(
  store: ObjectStore,
  source: RepoSource,
  ref: string,
  singleBranch: boolean,
  signal?: AbortSignal,
  options: { fullHistory?: boolean } = {},
): Promise<string | undefined> {
  const lockPath = path.join(store.gitdir, "autofix-cache.lock");
  return withCacheLock(
    lockPath,
    async () => {
      const staging = path.join(store.gitdir, `staging-${process.pid}-${randomBytes(4).toString("hex")}`);
      try {
        await initBare(staging);
        // isomorphic-git maps fetched refs through a refspec; the URL is passed per call, never stored.
        await writeFile(
          path.join(staging, "config"),
          '[core]\n\trepositoryformatversion = 0\n\tbare = true\n[remote "origin"]\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n',
        );
        const linked = await seedStaging(store.gitdir, staging, singleBranch ? ref : undefined, !options.fullHistory);
        let fetchHead: string | null;
        const capture = capturePacks();
        try {
          const result = await git.fetch({
            fs,
            http: capture.http,
            gitdir: staging,
            url: source.url,
            ref,
            singleBranch,
            depth: options.fullHistory ? undefined : 1,
            tags: false,
            ...authCallbacks(source),
          });
          fetchHead = result.fetchHead;
        } catch (err) {
          if ((err as { code?: string }).code === "NotFoundError") throw new BaseNotFound(ref, err);
          throw new GitTransportFailed("fetch from", source.url, err);
        }
        throwIfAborted(signal);
        const decoded: Map<string, GitObject>[] = [];
        for (const pack of capture.packs) {
          decoded.push(await storePack(staging, pack, (oid) => (store.reader.has(oid) ? store.reader.read(oid) : undefined)));
        }
        await publishStaging(store.gitdir, staging, linked, singleBranch ? ref : undefined);
        // The checkout that follows reads these very objects: hand them over instead of inflating twice.
        for (const objects of decoded) store.reader.prime(objects);
        return fetchHead ?? undefined;
      } finally {
        await rm(staging, { recursive: true, force: true });
      }
    },
    { signal },
  );
}

/** Gives the staging dir what the cache already holds, so the server sends only new objects. */
async function seedStaging(cache: string, staging: string, branch: string | undefined, shallow: boolean): Promise<Set<string>> {
  const linked = new Set<string>();
  const packDir = path.join(cache, "objects", "pack");
  for (const name of await readdir(packDir)) {
    if (!name.endsWith(".pack") && !name.endsWith(".idx")) continue;
    await link(path.join(packDir, name), path.join(staging, "objects", "pack", name)).catch(() =>
      copyFile(path.join(packDir, name), path.join(staging, "objects", "pack", name)),
    );
    linked.add(name);
  }
  if (shallow) await copyFile(path.join(cache, "shallow"), path.join(staging, "shallow")).catch(() => undefined);
  if (branch) {
    const refFile = path.join("refs", "remotes", "origin", branch);
    await mkdir(path.dirname(path.join(staging, refFile)), { recursive: true });
    await copyFile(path.join(cache, refFile), path.join(staging, refFile)).catch(() => undefined);
  }
  return linked;
}

async function publishStaging(cache: string, staging: string, linked: Set<string>, branch: string | undefined): Promise<void> {
  const packDir = path.join(staging, "objects", "pack");
  const fresh = (await readdir(packDir)).filter((n) => !linked.has(n));
  for (const ext of [".pack", ".idx"]) {
    for (const name of fresh.filter((n) => n.endsWith(ext))) {
      await rename(path.join(packDir, name), path.join(cache, "objects", "pack", name));
    }
  }
  const shallow = new Set<string>();
  for (const dir of [cache, staging]) {
    const text = await readFile(path.join(dir, "shallow"), "utf8").catch(() => "");
    for (const line of text.split("\n")) if (SHA_PATTERN.test(line)) shallow.add(line);
  }
  await writeAtomic(path.join(cache, "shallow"), [...shallow].sort().join("\n") + "\n");
  if (branch) {
    const refFile = path.join("refs", "remotes", "origin", branch);
    const oid = await readFile(path.join(staging, refFile), "utf8").catch(() => undefined);
    if (oid) {
      await mkdir(path.dirname(path.join(cache, refFile)), { recursive: true });
      await writeAtomic(path.join(cache, refFile), oid);
    }
  }
}

export async function writeAtomic(file: string, content: string | Uint8Array): Promise<void> {
  const temp = `${file}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
  await writeFile(temp, content);
  await rename(temp, file);
}

export async function pathExists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}
