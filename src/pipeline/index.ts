// The pipeline room's door: what code outside src/pipeline/ may use.
export { cleanupJobDirs, createJobHandler } from "./jobHandler.js";
export { runPipeline } from "./run.js";
export type { PipelineEnv } from "./run.js";
export type { AttemptRecord, SpawnRecord } from "./attempt.js";
export { renderDeltaStats } from "./render.js";
export type { Log } from "./status.js";
