// The agents room's door: the command agent, its presets and the allow-listed environment.
export { createCommandAgent, AgentNotInstalled, AgentScratchInsideSpawn, describeTimeout, type CommandAgentOptions } from "./command.js";
export { buildAgentEnv, isForbiddenAgentVariable, fixedPath, type AgentEnv, type BuildAgentEnvOptions } from "./env.js";
export { presets, findPreset } from "./presets/index.js";
export { AgentCommandMissing } from "./presets/command.js";
export type { Agent, AgentRun, AgentRunRequest, AgentPreset, AgentFailure, AgentFailureKind } from "./types.js";
export { buildPrompt, readRepoInstructions } from "./prompt.js";
export { createBuiltinAgent, sandboxRunCommand } from "./builtin/index.js";
