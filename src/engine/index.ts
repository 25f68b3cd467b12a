// The engine room's door: what code outside src/engine/ may use.
export { applyDelta, assertSpawn, materialize, removeSpawn, spawnDirName, sweepStaleSpawns } from "./spawn.js";
export type { Baseline, Delta, FileChange, RecordedChange, RepoSource, Spawn } from "./types.js";
export { SpareRegistry, type SpareRegistryOptions } from "./spares.js";
export type { SpawnSource } from "./spares.js";
export { recordBaseline } from "./baseline.js";
export { writeBaseLayer, type BaseLayer } from "./baseLayer.js";
export { computeDelta } from "./delta.js";
export { checkGuards, inspectSpawnIntegrity, readBaselineLinks } from "./guards.js";
export { absorb, absorbDirPrefix } from "./absorb.js";
export { pushBranch } from "./push.js";
export { readBlob } from "./git/gitObjects.js";
export { storeAt } from "./engineContext.js";
export { readSpawnState } from "./spawnState.js";
export { deltaStats } from "./deltaStats.js";
export { isBinary, textPatch } from "./textPatch.js";
export { branchChange } from "./branchChange.js";
export { createEngine, type Engine } from "./engineContext.js";
