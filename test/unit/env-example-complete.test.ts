// .env.example lists every variable the code reads: the settings schema, every process.env read, and
// the operator settings the agent presets read (AUTOFIX_CLAUDE_*, AUTOFIX_CODEX_*).
import { readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../support/cliRunner.js";

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? sourceFiles(full) : full.endsWith(".ts") ? [full] : [];
  });
}

// Read by the system or set for the agent, not operator settings.
// AUTOFIX_LLM and AUTOFIX_JUDGE are the prefixes of the LLM settings groups, not variables.
const notSettings = new Set(["PATH", "USER", "HOME", "AUTOFIX_PROMPT", "AUTOFIX_PROMPT_FILE", "AUTOFIX_LLM", "AUTOFIX_JUDGE"]);

describe(".env.example", () => {
  it("documents every variable autofix reads", () => {
    const documented = new Set([...readFileSync(path.join(repoRoot, ".env.example"), "utf8").matchAll(/^#?\s*([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]!));
    const read = new Set<string>();
    for (const file of sourceFiles(path.join(repoRoot, "src"))) {
      const text = readFileSync(file, "utf8");
      for (const m of text.matchAll(/process\.env\.([A-Z][A-Z0-9_]+)|process\.env\["([A-Z][A-Z0-9_]+)"\]/g)) read.add((m[1] ?? m[2])!);
      // Operator settings named as string literals (presets' settings tables).
      for (const m of text.matchAll(/"(AUTOFIX_[A-Z0-9_]*[A-Z0-9])"/g)) read.add(m[1]!);
    }
    const settings = readFileSync(path.join(repoRoot, "src", "settings.ts"), "utf8");
    for (const m of settings.matchAll(/^\s+([A-Z][A-Z0-9_]+):/gm)) read.add(m[1]!);
    const missing = [...read].filter((name) => !notSettings.has(name) && !documented.has(name)).sort();
    expect(missing).toEqual([]);
  });
});
