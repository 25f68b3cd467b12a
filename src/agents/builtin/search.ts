// The search tool. The model writes the regular expression and the agent runs in the worker's process,
// so matching happens in a worker thread that is terminated at a deadline: a catastrophic pattern
// costs the model a tool error, not the event loop every other job shares.
import { stat } from "node:fs/promises";
import { Worker } from "node:worker_threads";
import { z } from "zod";
import type { ToolContext } from "./fileTools.js";
import { resolveInSpawn, ToolError } from "./paths.js";
import { walkSpawn } from "./walk.js";

export const searchLimits = {
  matches: 100,
  files: 5_000,
  fileBytes: 512 * 1024,
  /** Characters of each line shown in a match. */
  shownLineChars: 300,
  /** Characters of each line the pattern is tried on (minified files have megabyte lines). */
  testedLineChars: 4_000,
  timeoutMs: 10_000,
};

export const searchArgs = z.object({
  pattern: z.string().min(1).describe("JavaScript regular expression, matched line by line."),
  path: z.string().default(".").describe("File or directory to search in, relative to the repository root."),
  case_insensitive: z.boolean().default(false),
});

// Plain CommonJS run with `eval: true`: no module resolution, nothing of the parent's state.
const matcherSource = `
const { parentPort, workerData } = require("node:worker_threads");
const fs = require("node:fs");
const path = require("node:path");
const { root, files, pattern, flags, limits } = workerData;
const regex = new RegExp(pattern, flags);
const matches = [];
let full = false;
for (const relative of files) {
  if (full) break;
  let bytes;
  try {
    const info = fs.lstatSync(path.join(root, relative));
    if (!info.isFile() || info.size > limits.fileBytes) continue;
    bytes = fs.readFileSync(path.join(root, relative));
  } catch { continue; }
  if (bytes.subarray(0, 8000).includes(0)) continue;
  const lines = bytes.toString("utf8").split("\\n");
  for (let i = 0; i < lines.length; i++) {
    if (!regex.test(lines[i].slice(0, limits.testedLineChars))) continue;
    if (matches.length >= limits.matches) { full = true; break; }
    matches.push(relative + ":" + (i + 1) + ": " + lines[i].trim().slice(0, limits.shownLineChars));
  }
}
parentPort.postMessage({ matches, full });
`;

function matchInWorker(root: string, files: string[], pattern: string, flags: string, signal?: AbortSignal): Promise<{ matches: string[]; full: boolean }> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(matcherSource, { eval: true, workerData: { root, files, pattern, flags, limits: searchLimits } });
    let settled = false;
    const settle = () => {
      if (settled) return false;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      void worker.terminate();
      return true;
    };
    const stop = (error: Error) => settle() && reject(error);
    const onAbort = () => stop(new ToolError("The search was stopped because the attempt ended."));
    const timer = setTimeout(
      () =>
        stop(
          new ToolError(
            `The search took longer than ${searchLimits.timeoutMs / 1000} s and was stopped. Use a simpler pattern (no nested quantifiers) or a narrower path.`,
          ),
        ),
      searchLimits.timeoutMs,
    );
    signal?.addEventListener("abort", onAbort, { once: true });
    worker.once("message", (result: { matches: string[]; full: boolean }) => settle() && resolve(result));
    worker.once("error", (err) => stop(new ToolError(`The search failed: ${err.message}`)));
    worker.once("exit", () => stop(new ToolError("The search stopped without an answer.")));
  });
}

export async function searchFiles(ctx: ToolContext, args: z.infer<typeof searchArgs>, signal?: AbortSignal): Promise<string> {
  const flags = args.case_insensitive ? "i" : "";
  try {
    new RegExp(args.pattern, flags);
  } catch (err) {
    throw new ToolError(`The pattern is not a valid regular expression: ${(err as Error).message}`);
  }
  const target = await resolveInSpawn(ctx.root, args.path, "read");
  const info = await stat(target.absolute).catch(() => undefined);
  if (!info) throw new ToolError(`"${args.path}" does not exist.`);
  const files: string[] = [];
  let truncatedWalk = false;
  if (info.isFile()) files.push(target.relative);
  else {
    ({ truncated: truncatedWalk } = await walkSpawn(
      ctx.root,
      target.relative,
      { recursive: true, maxVisited: searchLimits.files },
      // Links are not followed: a link could lead out of the spawn.
      (entry) => void (entry.kind === "file" && files.push(entry.relative)),
    ));
  }
  const { matches, full } = await matchInWorker(ctx.root, files, args.pattern, flags, signal);
  if (matches.length === 0) return `No matches for /${args.pattern}/ in ${target.relative}.`;
  if (full) matches.push(`[… stopped at ${searchLimits.matches} matches; narrow the pattern or the path]`);
  if (truncatedWalk) matches.push(`[… only the first ${searchLimits.files} entries were searched]`);
  return matches.join("\n");
}
