// A readable log of the built-in agent's turns for reports: what the model said, which tool it called,
// what came back (abridged). Only the tail is kept, like a process's output.
import type { ToolCall } from "../../llm/index.js";

const maxLineChars = 400;

export class Transcript {
  private lines: string[] = [];
  private chars = 0;

  constructor(private readonly maxChars = 16_000) {}

  assistant(text: string): void {
    if (text.trim()) this.push(`assistant: ${abridge(text)}`);
  }

  call(call: ToolCall): void {
    const args = call.name === "write_file" || call.name === "edit_file" ? summarizeWrite(call.arguments) : JSON.stringify(call.arguments);
    this.push(`→ ${call.name} ${abridge(args)}`);
  }

  result(content: string, isError: boolean): void {
    const lines = content.split("\n");
    const first = abridge(lines[0] ?? "");
    this.push(`${isError ? "✗" : "←"} ${first}${lines.length > 1 ? ` (+${lines.length - 1} lines)` : ""}`);
  }

  note(text: string): void {
    this.push(`note: ${text}`);
  }

  stop(reason: string): void {
    this.push(`stopped: ${reason}`);
  }

  tail(): string {
    return this.lines.join("\n");
  }

  private push(line: string): void {
    this.lines.push(line);
    this.chars += line.length + 1;
    while (this.chars > this.maxChars && this.lines.length > 1) this.chars -= this.lines.shift()!.length + 1;
  }
}

function abridge(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > maxLineChars ? `${flat.slice(0, maxLineChars)}…` : flat;
}

/** File contents are the delta's business; the transcript names the path and the size. */
function summarizeWrite(args: Record<string, unknown>): string {
  const size = (v: unknown) => (typeof v === "string" ? `${v.length} chars` : "?");
  if ("content" in args) return `${String(args.path)} (${size(args.content)})`;
  return `${String(args.path)} (replace ${size(args.old_text)} with ${size(args.new_text)})`;
}
