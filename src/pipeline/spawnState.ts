// The engine's private record of a spawn: where its objects live, the stat snapshot taken right after
// checkout (what makes the delta cost grow with the change, not the tree) and a fingerprint of `.git`.
// Kept in <workRoot>/.autofix-state/, outside the spawn, so the agent cannot rewrite what it is judged by.
import { readFile, rm } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { SpawnTampered } from "./engineErrors.js";
import { writeAtomic } from "./objectCache.js";
import type { Spawn } from "./types.js";
import { mkdir } from "node:fs/promises";

/** [size, mtimeMs, ctimeMs, ino, mode] as lstat reported them right after checkout. */
export type StatRow = [number, number, number, number, number];

const stateSchema = z.object({
  jobId: z.string(),
  baseSha: z.string(),
  storeGitdir: z.string(),
  local: z.boolean(),
  takenAtMs: z.number(),
  // Written by the engine outside the spawn; checked for shape only at the top (50,000 rows through zod
  // cost more than the whole delta).
  stat: z.custom<Record<string, StatRow>>((v) => typeof v === "object" && v !== null && !Array.isArray(v)),
  gitDir: z.record(z.string(), z.string()),
});
export type SpawnState = z.infer<typeof stateSchema>;

export const STATE_DIR = ".autofix-state";

export function stateFileFor(spawnDir: string): string {
  return path.join(path.dirname(spawnDir), STATE_DIR, `${path.basename(spawnDir)}.json`);
}

export async function writeSpawnState(spawnDir: string, state: SpawnState): Promise<void> {
  const file = stateFileFor(spawnDir);
  await mkdir(path.dirname(file), { recursive: true });
  await writeAtomic(file, JSON.stringify(state));
}

export async function readSpawnState(spawn: Spawn): Promise<SpawnState> {
  let raw: string;
  try {
    raw = await readFile(stateFileFor(spawn.dir), "utf8");
  } catch {
    throw new SpawnTampered(spawn.dir, "The engine's record of this spawn is missing (was the spawn removed or swept?).");
  }
  const state = stateSchema.parse(JSON.parse(raw));
  if (state.jobId !== spawn.jobId || state.baseSha !== spawn.baseSha) {
    throw new SpawnTampered(spawn.dir, "The engine's record of this spawn belongs to another job or base commit.");
  }
  return state;
}

export async function removeSpawnState(spawnDir: string): Promise<void> {
  await rm(stateFileFor(spawnDir), { force: true });
  await rm(findingsFileFor(spawnDir), { force: true });
}

export interface SpawnFindings {
  /** Files with more than one hard link: their content may be a file outside the spawn. */
  hardlinked: string[];
}

export function findingsFileFor(spawnDir: string): string {
  return path.join(path.dirname(spawnDir), STATE_DIR, `${path.basename(spawnDir)}.findings.json`);
}

export async function writeSpawnFindings(spawn: Spawn, findings: SpawnFindings): Promise<void> {
  await writeAtomic(findingsFileFor(spawn.dir), JSON.stringify(findings));
}

export async function readSpawnFindings(spawn: Spawn): Promise<SpawnFindings> {
  try {
    return JSON.parse(await readFile(findingsFileFor(spawn.dir), "utf8")) as SpawnFindings;
  } catch {
    return { hardlinked: [] };
  }
}
