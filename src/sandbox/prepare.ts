// What every run gets besides what its caller asked for: the host's toolchains (read-only, on PATH),
// the repository's extra mounts once checked, and the object cache git needs in the spawn.
import { realpathSync, statSync } from "node:fs";
import path from "node:path";
import { addMount, type HostTools, HostToolsPolicy, mergePath } from "./hostTools.js";
import { readSpawnFile } from "./safeRead.js";
import type { SandboxRequest } from "./types.js";
import { isWithin } from "./programs.js";

export interface RunContext {
  hostTools: HostTools;
  policy: HostToolsPolicy;
  /** Where the spawns' object caches live; an alternates entry elsewhere is never mounted. */
  gitObjectRoots: string[];
}

/** Where toolchains are installed system-wide; a repository's `sandbox.mounts` must lie below one (or an operator mount). */
const repositoryMountRoots = ["/opt", "/usr/local", "/nix/store", "/snap"];

/**
 * The object directories `.git/objects/info/alternates` names, when they lie in the bot's object cache.
 * Read without following links; a spawn whose .git was tampered with fails its guards before any later run.
 */
function realOrSelf(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

export async function gitAlternates(dir: string, roots: string[]): Promise<string[]> {
  const text = await readSpawnFile(dir, ".git/objects/info/alternates", 64 * 1024);
  if (!text) return [];
  const out: string[] = [];
  for (const line of text.split("\n").map((l) => l.trim())) {
    if (!line || line.startsWith("#") || !path.isAbsolute(line)) continue;
    const objects = path.resolve(line);
    if (path.basename(objects) !== "objects" || !roots.some((root) => isWithin(objects, root))) continue;
    try {
      if (statSync(objects).isDirectory()) out.push(objects);
    } catch {
      // gone: git will say so
    }
  }
  return out;
}

export async function prepareRequest(request: SandboxRequest, ctx: RunContext): Promise<{ request: SandboxRequest; refusedMounts: HostTools["refused"] }> {
  const tools: HostTools = {
    readOnlyPaths: [...ctx.hostTools.readOnlyPaths],
    pathDirs: [...ctx.hostTools.pathDirs],
    env: { ...ctx.hostTools.env },
    refused: [],
  };
  for (const mount of request.mounts ?? []) {
    // A repository file is not the operator: it may only name toolchain places, never any host directory.
    const resolved = path.resolve(mount);
    const allowed = [...repositoryMountRoots, ...ctx.hostTools.readOnlyPaths].some((root) => isWithin(resolved, root));
    if (allowed) addMount(tools, ctx.policy, mount);
    else
      tools.refused.push({
        path: mount,
        reason: `a repository may only name directories under ${repositoryMountRoots.join(", ")} or the operator's mounts; ask the operator to add it to AUTOFIX_SANDBOX_MOUNTS`,
      });
  }
  const env: Record<string, string> = { ...request.env, PATH: mergePath(request.env.PATH, tools.pathDirs) };
  for (const [name, value] of Object.entries(tools.env)) env[name] ??= value;
  const alternates = await gitAlternates(request.cwd, ctx.gitObjectRoots);
  // A path reached through a link (node_modules/.bin under a linked directory) is shown at its real place
  // too, so the relative links inside it resolve in the sandbox as they do on the host.
  const asked = (request.readOnlyPaths ?? []).flatMap((p) => [...new Set([p, realOrSelf(p)])]);
  return {
    request: { ...request, env, readOnlyPaths: [...new Set([...tools.readOnlyPaths, ...alternates, ...asked])] },
    refusedMounts: tools.refused,
  };
}
