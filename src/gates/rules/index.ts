// The rule families the deterministic gate applies to a delta, read through one view of the change
// (renames paired, code split from strings and comments). Blocks are Violations; signals are TestFlags.
import type { Delta } from "../../engine/index.js";
import type { Violation } from "./types.js";
import type { TestFlag } from "../types.js";
import { judgedChanges, type JudgedChange } from "./changeView.js";
import { checkTestDiscovery } from "./discovery.js";
import { checkLintConfig } from "./lintConfig.js";
import { testFlags } from "./signals.js";
import { checkSuppressions } from "./suppressions.js";

export { judgedChanges, type JudgedChange } from "./changeView.js";

export function checkRuleFamilies(changes: JudgedChange[]): Violation[] {
  return [...checkSuppressions(changes), ...checkLintConfig(changes), ...checkTestDiscovery(changes)];
}

/** Signals for the judges; `repoPaths` (the base's tree) tells the repository's own modules from others. */
export function collectTestFlags(delta: Delta, repoPaths: Iterable<string> = []): TestFlag[] {
  return testFlags(judgedChanges(delta), repoPaths);
}
