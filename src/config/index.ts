// The config room's public surface: parse, validate, load, explain.
export * from "./schema.js";
export { parseConfig, validateConfigObject, type ConfigResult } from "./parse.js";
export type { ConfigProblem } from "./problems.js";
export { loadRepoConfig, loadConfigViaApi, configPath, configFileName, type ProbotConfigContext } from "./load.js";
export { ConfigInvalid, renderConfigProblems, renderConfigProblemsText, renderProblemText } from "./errors.js";
