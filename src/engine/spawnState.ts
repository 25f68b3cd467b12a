// The engine's private record of a spawn: where its objects live, the stat snapshot taken right after
// checkout (what makes the delta cost grow with the change, not the tree) and a fingerprint of `.git`.
// Kept in <workRoot>/.autofix-state/, outside the spawn, so the agent cannot rewrite what it is judged by.
// One file, replaced atomically: a JSON header, then the snapshot in binary (50,000 rows as JSON cost
// ~40 ms to parse on every engine step; as floats and NUL-separated paths, a few ms).
import { readFile, rm } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { SpawnTampered } from "./errors.js";
import { writeAtomic } from "./git/objectCache.js";
import type { Spawn } from "./types.js";
import { mkdir } from "node:fs/promises";

/** Numbers per snapshot row: size, mtimeMs, ctimeMs, ino, mode, as lstat reported them right after checkout. */
export const STAT_FIELDS = 5;

export interface StatSnapshot {
  paths: string[];
  /** STAT_FIELDS numbers per path, in the order of `paths`. */
  rows: Float64Array;
}

const headerSchema = z.object({
  jobId: z.string(),
  baseSha: z.string(),
  storeGitdir: z.string(),
  local: z.boolean(),
  takenAtMs: z.number(),
  gitDir: z.record(z.string(), z.string()),
  statCount: z.number().int().nonnegative(),
});
export type SpawnState = Omit<z.infer<typeof headerSchema>, "statCount"> & { stat: StatSnapshot };

export const STATE_DIR = ".autofix-state";
const MAGIC = "AFS1";

export function stateFileFor(spawnDir: string): string {
  return path.join(path.dirname(spawnDir), STATE_DIR, `${path.basename(spawnDir)}.state`);
}

export async function writeSpawnState(spawnDir: string, state: SpawnState): Promise<void> {
  const { stat, ...rest } = state;
  const file = stateFileFor(spawnDir);
  await mkdir(path.dirname(file), { recursive: true });
  await writeAtomic(file, encodeSnapshotFile(rest, stat));
}

export async function readSpawnState(spawn: Spawn): Promise<SpawnState> {
  let raw: Buffer;
  try {
    raw = await readFile(stateFileFor(spawn.dir));
  } catch {
    throw new SpawnTampered(spawn.dir, "The engine's record of this spawn is missing (was the spawn removed or swept?).");
  }
  const decoded = decodeSnapshotFile(raw);
  const parsed = decoded && headerSchema.safeParse(decoded.header);
  if (!decoded || !parsed?.success) throw new SpawnTampered(spawn.dir, "The engine's record of this spawn is unreadable.");
  const { statCount: _count, ...header } = parsed.data;
  if (header.jobId !== spawn.jobId || header.baseSha !== spawn.baseSha) {
    throw new SpawnTampered(spawn.dir, "The engine's record of this spawn belongs to another job or base commit.");
  }
  return { ...header, stat: decoded.stat };
}

/** A JSON header (given statCount) followed by the snapshot rows in binary and the NUL-separated paths. */
export function encodeSnapshotFile(header: object, stat: StatSnapshot): Buffer {
  const json = Buffer.from(JSON.stringify({ ...header, statCount: stat.paths.length }), "utf8");
  const rowsStart = align8(8 + json.length);
  const prefix = Buffer.alloc(rowsStart);
  prefix.write(MAGIC, 0, "latin1");
  prefix.writeUInt32LE(json.length, 4);
  json.copy(prefix, 8);
  const rows = stat.rows.subarray(0, stat.paths.length * STAT_FIELDS);
  // Host byte order: the file is read back only on this host, by this engine.
  return Buffer.concat([prefix, Buffer.from(rows.buffer, rows.byteOffset, rows.byteLength), Buffer.from(stat.paths.join("\0"), "utf8")]);
}

/** The header (still to be validated by the caller) and snapshot, or undefined when the file is not one. */
export function decodeSnapshotFile(raw: Buffer): { header: unknown; stat: StatSnapshot } | undefined {
  if (raw.length < 8 || raw.toString("latin1", 0, 4) !== MAGIC) return undefined;
  const headerEnd = 8 + raw.readUInt32LE(4);
  if (headerEnd > raw.length) return undefined;
  let header: { statCount?: unknown };
  try {
    header = JSON.parse(raw.toString("utf8", 8, headerEnd));
  } catch {
    return undefined;
  }
  const statCount = header?.statCount;
  if (typeof statCount !== "number" || !Number.isInteger(statCount) || statCount < 0) return undefined;
  const rowsStart = align8(headerEnd);
  const pathsStart = rowsStart + statCount * STAT_FIELDS * 8;
  if (pathsStart > raw.length) return undefined;
  const rows = new Float64Array(statCount * STAT_FIELDS);
  new Uint8Array(rows.buffer).set(raw.subarray(rowsStart, pathsStart));
  const paths = statCount === 0 ? [] : raw.toString("utf8", pathsStart).split("\0");
  if (paths.length !== statCount) return undefined;
  return { header, stat: { paths, rows } };
}

/** path → row number, for lookups by path. */
export function statIndex(stat: StatSnapshot): Map<string, number> {
  const index = new Map<string, number>();
  for (let i = 0; i < stat.paths.length; i++) index.set(stat.paths[i], i);
  return index;
}

function align8(n: number): number {
  return Math.ceil(n / 8) * 8;
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
