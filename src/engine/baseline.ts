// The baseline: the pinned commit's tree (path → blob id, mode), read from git objects, never from the
// disk, so nothing written into the spawn can change what the agent's change is measured against.
import { listCommitFiles } from "./git/gitObjects.js";
import { storeAt } from "./git/objectCache.js";
import { engineOr, type Engine } from "./engineContext.js";
import { assertSpawn } from "./spawn.js";
import { readSpawnState } from "./spawnState.js";
import type { Baseline, Spawn } from "./types.js";

/**
 * Safe to call again at any time: it reads objects only. (The stat snapshot the delta uses is taken by
 * `materialize`, right after checkout, so calling this after the agent ran changes nothing.)
 */
export async function recordBaseline(spawn: Spawn, engine?: Engine): Promise<Baseline> {
  await assertSpawn(spawn);
  const state = await readSpawnState(spawn);
  const store = storeAt(state.storeGitdir, state.local, engineOr(engine).readers);
  try {
    return { baseSha: spawn.baseSha, files: await listCommitFiles(store, spawn.baseSha) };
  } finally {
    store.reader.close();
  }
}
