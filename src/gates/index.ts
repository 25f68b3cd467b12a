// The gates room's door: what code outside src/gates/ may use.
export type { GateName, GateResult, GateStatus } from "./types.js";
export { createBaselineCache, runDeterministicGate } from "./deterministic.js";
export type { BaselineResultCache } from "./deterministic.js";
export { mapFindingsToDiff, runReviewGate } from "./review.js";
export { runSemanticGate } from "./semantic.js";
export { decide, renderRepairReport } from "./policy.js";
export { ciVerdict, classifyChecks, describeCheck, isOwnCheck, type CiCheck, type CiVerdict, type CommitChecks } from "./ci.js";
export { renderCiRepairReport, trimToFailingStep, type CiFailureDetail } from "./ciReport.js";
