// Registry of agent presets by name. Each preset file adds one line here.
import type { AgentPreset } from "../types.js";
import { commandPreset } from "./command.js";
import { aiderPreset } from "./aider.js";
import { claudeCodePreset } from "./claudeCode.js";
import { codexPreset } from "./codex.js";

export const presets: Partial<Record<AgentPreset["name"], AgentPreset>> = {
  command: commandPreset,
  aider: aiderPreset,
  "claude-code": claudeCodePreset,
  codex: codexPreset,
};

export function findPreset(name: string): AgentPreset | undefined {
  return (presets as Record<string, AgentPreset | undefined>)[name];
}
