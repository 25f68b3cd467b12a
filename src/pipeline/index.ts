// The pipeline room's door: what code outside src/pipeline/ may use.
export { cleanupJobDirs, createJobHandler } from "./jobHandler.js";
export { runPipeline } from "./run.js";
export type { AttemptRecord, PipelineEnv, SpawnRecord } from "./context.js";
export { renderDeltaStats } from "./render.js";
export { agentOutcomeLines, gatesSentence, isPartialChange } from "./agentReport.js";
export type { Log } from "./status.js";
export { spentSoFar } from "./ciRepair.js";
export { runPipelineUntilDone } from "./untilDone.js";
