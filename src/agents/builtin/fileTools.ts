// The built-in agent's file tools: list, read, write, edit (search lives in search.ts). Every path goes through
// resolveInSpawn; every answer is bounded so one tool call cannot flood the model's context.
import { mkdir, readFile, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { resolveInSpawn, ToolError } from "./paths.js";
import { walkSpawn } from "./walk.js";

export const fileToolLimits = {
  listEntries: 400,
  readLines: 500,
  readChars: 30_000,
  readFileBytes: 20_000_000,
  writeBytes: 1_000_000,
};

export interface ToolContext {
  /** The spawn's realpath. */
  root: string;
  /** Paths the gates would refuse a change to (denyPaths, protectedPaths): refused at the tool already. */
  isProtected?: (relative: string) => boolean;
}

function assertWritable(ctx: ToolContext, relative: string): void {
  if (!ctx.isProtected?.(relative)) return;
  throw new ToolError(
    `"${relative}" is protected by the repository's autofix configuration (denyPaths / gates.deterministic.protectedPaths): a change there fails the gates. Fix the issue without editing it.`,
  );
}

export const listFilesArgs = z.object({
  dir: z.string().default(".").describe('Directory relative to the repository root; "." for the root.'),
  recursive: z.boolean().default(false).describe("List everything below the directory, not only its direct entries."),
});
export const readFileArgs = z.object({
  path: z.string().describe("File path relative to the repository root."),
  start_line: z.number().int().positive().optional().describe("First line to show (1-based)."),
  end_line: z.number().int().positive().optional().describe("Last line to show (inclusive)."),
});
export const writeFileArgs = z.object({
  path: z.string().describe("File path relative to the repository root; parent directories are created."),
  content: z.string().describe("The complete new content of the file."),
});
export const editFileArgs = z.object({
  path: z.string().describe("File path relative to the repository root."),
  old_text: z.string().min(1).describe("Exact text to replace, copied from the file including whitespace; must occur exactly once."),
  new_text: z.string().describe("Replacement text."),
});

export function isBinary(bytes: Buffer): boolean {
  return bytes.subarray(0, 8_000).includes(0);
}

async function readTextFile(absolute: string, relative: string): Promise<string> {
  const info = await stat(absolute).catch(() => undefined);
  if (!info) throw new ToolError(`"${relative}" does not exist. Use list_files to see what is there.`);
  if (info.isDirectory()) throw new ToolError(`"${relative}" is a directory. Use list_files for directories.`);
  if (info.size > fileToolLimits.readFileBytes)
    throw new ToolError(`"${relative}" is ${info.size} bytes, too large to open; use search to find what you need in it.`);
  const bytes = await readFile(absolute);
  if (isBinary(bytes)) throw new ToolError(`"${relative}" is a binary file; it cannot be shown as text.`);
  return bytes.toString("utf8");
}

export async function listFiles(ctx: ToolContext, args: z.infer<typeof listFilesArgs>): Promise<string> {
  const dir = await resolveInSpawn(ctx.root, args.dir, "read");
  const info = await stat(dir.absolute).catch(() => undefined);
  if (!info?.isDirectory()) throw new ToolError(`"${args.dir}" is not a directory.`);
  const lines: string[] = [];
  const { truncated } = await walkSpawn(
    ctx.root,
    dir.relative,
    { recursive: args.recursive, maxVisited: fileToolLimits.listEntries },
    (entry) => void lines.push(entry.kind === "dir" ? `${entry.relative}/` : entry.kind === "link" ? `${entry.relative} (symlink)` : entry.relative),
  );
  if (lines.length === 0) return `${dir.relative}/ is empty (ignored files are not listed).`;
  if (truncated) lines.push(`[… listing stopped after ${fileToolLimits.listEntries} entries; list a subdirectory to see more]`);
  return lines.join("\n");
}

export async function readTextWithLines(ctx: ToolContext, args: z.infer<typeof readFileArgs>): Promise<string> {
  const file = await resolveInSpawn(ctx.root, args.path, "read");
  const lines = (await readTextFile(file.absolute, file.relative)).split("\n");
  // A final newline ends the last line; it does not start another one.
  if (lines.length > 1 && lines[lines.length - 1] === "") lines.pop();
  const total = lines.length;
  const start = Math.min(args.start_line ?? 1, total);
  let end = Math.min(args.end_line ?? total, total, start + fileToolLimits.readLines - 1);
  if (end < start) throw new ToolError(`end_line (${args.end_line}) is before start_line (${start}).`);
  const width = String(end).length;
  const shown: string[] = [];
  let chars = 0;
  for (let n = start; n <= end; n++) {
    const line = `${String(n).padStart(width)}│${lines[n - 1]}`;
    if (chars + line.length > fileToolLimits.readChars && shown.length > 0) {
      end = n - 1;
      break;
    }
    shown.push(line);
    chars += line.length + 1;
  }
  const header = `${file.relative} (lines ${start}-${end} of ${total})`;
  const more = end < total ? `\n[… more below: call read_file with start_line=${end + 1}]` : "";
  return `${header}\n${shown.join("\n")}${more}`;
}

export async function writeWholeFile(ctx: ToolContext, args: z.infer<typeof writeFileArgs>): Promise<string> {
  const bytes = Buffer.byteLength(args.content);
  if (bytes > fileToolLimits.writeBytes)
    throw new ToolError(`The content is ${bytes} bytes; at most ${fileToolLimits.writeBytes} bytes can be written at once.`);
  const file = await resolveInSpawn(ctx.root, args.path, "write");
  assertWritable(ctx, file.relative);
  const info = await stat(file.absolute).catch(() => undefined);
  if (info?.isDirectory()) throw new ToolError(`"${file.relative}" is a directory.`);
  await mkdir(path.dirname(file.absolute), { recursive: true });
  await writeFile(file.absolute, args.content);
  const lines = args.content === "" ? 0 : args.content.replace(/\n$/, "").split("\n").length;
  return `${info ? "Replaced" : "Created"} ${file.relative} (${bytes} bytes, ${lines} lines).`;
}

export async function editFile(ctx: ToolContext, args: z.infer<typeof editFileArgs>): Promise<string> {
  const file = await resolveInSpawn(ctx.root, args.path, "write");
  assertWritable(ctx, file.relative);
  const text = await readTextFile(file.absolute, file.relative);
  let oldText = args.old_text;
  let newText = args.new_text;
  // Models write "\n"; a CRLF file keeps its line endings.
  if (!text.includes(oldText) && text.includes("\r\n") && oldText.includes("\n") && !oldText.includes("\r\n")) {
    oldText = oldText.replace(/\n/g, "\r\n");
    newText = newText.replace(/\r?\n/g, "\r\n");
  }
  const first = text.indexOf(oldText);
  if (first === -1) throw new ToolError(`old_text was not found in ${file.relative}. ${nearMissHint(text, args.old_text)}`);
  let count = 0;
  for (let at = first; at !== -1; at = text.indexOf(oldText, at + 1)) count++;
  if (count > 1) {
    throw new ToolError(`old_text occurs ${count} times in ${file.relative}. Add surrounding lines to old_text so it matches exactly once.`);
  }
  const updated = text.slice(0, first) + newText + text.slice(first + oldText.length);
  await writeFile(file.absolute, updated);
  const line = text.slice(0, first).split("\n").length;
  const newLines = updated.split("\n");
  const from = Math.max(1, line - 2);
  const to = Math.min(newLines.length, line + newText.split("\n").length + 1);
  const excerpt = newLines.slice(from - 1, to).map((l, i) => `${String(from + i).padStart(String(to).length)}│${l.replace(/\r$/, "")}`);
  return `Edited ${file.relative} at line ${line}. The region now reads:\n${excerpt.join("\n")}`;
}

/** Point the model at where its text nearly matched: the usual failure is indentation or a stale copy. */
function nearMissHint(text: string, oldText: string): string {
  const exact = "Read the file again and copy the text exactly, whitespace and indentation included.";
  const firstLine = oldText
    .split("\n")
    .find((l) => l.trim().length > 0)
    ?.trim();
  if (!firstLine) return exact;
  const lines = text.split("\n");
  const at = lines.findIndex((l) => l.trim() === firstLine);
  if (at === -1) return exact;
  const span = oldText.split("\n").length;
  return `Its first line matches line ${at + 1} when whitespace is ignored, but the text differs from there: read lines ${at + 1}-${at + span} and copy them exactly.`;
}
