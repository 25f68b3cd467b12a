#!/usr/bin/env node
// EXAMPLE AGENT, NOT AI: it always makes the same fixed edit (use the trimmed name in the greeting),
// so `npm run demo` shows the whole pipeline on a fresh machine without any LLM or agent CLI.
// A real run uses an agent preset (builtin, claude-code, codex, aider) or your own command.
import { readFileSync, writeFileSync } from "node:fs";

const file = "src/greet.js";
const before = readFileSync(file, "utf8");
const after = before.replace('return "Hello, " + name + "!";', 'return "Hello, " + trimmed + "!";');
if (after === before) {
  console.log("example agent: nothing to change");
} else {
  writeFileSync(file, after);
  console.log(`example agent: edited ${file} (prompt was ${process.env.AUTOFIX_PROMPT?.length ?? 0} characters)`);
}
