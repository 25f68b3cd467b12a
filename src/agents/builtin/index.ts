// The built-in agent's door.
export { createBuiltinAgent, type BuiltinAgentOptions } from "./agent.js";
export { createToolset, type RunCommand, type ToolOutcome } from "./tools.js";
export { resolveInSpawn, ToolError } from "./paths.js";
export { sandboxRunCommand, type SandboxRunCommandOptions } from "./sandboxCommand.js";
