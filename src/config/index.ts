// The config room's public surface: parse, validate, load, explain.
export * from "./schema.js";
export { extendsKey, parseConfig, validateConfigObject, type ConfigResult } from "./parse.js";
export type { ConfigProblem } from "./problems.js";
export { ConfigInvalid, renderConfigProblems, renderConfigProblemsText, renderProblemText } from "./errors.js";
