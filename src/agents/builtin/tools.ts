// The built-in agent's tool table: each tool's spec (JSON Schema from its zod schema, one source of
// truth) and its handler. Bad arguments and refused paths come back to the model as tool errors.
import { z } from "zod";
import type { ToolCall, ToolSpec } from "../../llm/index.js";
import {
  editFile,
  editFileArgs,
  listFiles,
  listFilesArgs,
  readFileArgs,
  readTextWithLines,
  writeFileArgs,
  writeWholeFile,
  type ToolContext,
} from "./fileTools.js";
import { ToolError } from "./paths.js";
import { searchArgs, searchFiles } from "./search.js";

export type RunCommand = (argv: string[], cwd: string, timeoutMs: number, signal?: AbortSignal) => Promise<{ exitCode: number | null; outputTail: string }>;

export interface ToolsetOptions {
  allowCommands: string[];
  runCommand?: RunCommand;
  commandTimeoutMs: number;
}

export const runCommandArgs = z.object({
  argv: z.array(z.string()).min(1).describe('Program and arguments, e.g. ["npm", "test"]. No shell: pipes and redirections do not work.'),
});
export const finishArgs = z.object({
  summary: z.string().describe("What you changed and why, in a few sentences, for the reviewer."),
});

/** The largest tool answer handed back to the model; the rest is cut with a marker. */
export const maxToolResultChars = 30_000;

export type ToolOutcome = { kind: "result"; content: string; isError: boolean } | { kind: "finish"; summary: string };

interface ToolDefinition {
  spec: ToolSpec;
  schema: z.ZodType;
  run(ctx: ToolContext, args: never, signal?: AbortSignal): Promise<string>;
}

function define<S extends z.ZodType>(
  name: string,
  description: string,
  schema: S,
  run: (ctx: ToolContext, args: z.infer<S>, signal?: AbortSignal) => Promise<string>,
): ToolDefinition {
  const { $schema: _ignored, ...parameters } = z.toJSONSchema(schema, { io: "input" }) as Record<string, unknown>;
  return { spec: { name, description, parameters }, schema, run: run as ToolDefinition["run"] };
}

export function createToolset(options: ToolsetOptions) {
  const definitions: ToolDefinition[] = [
    define("list_files", "List files and directories (ignored files and .git are left out).", listFilesArgs, listFiles),
    define("read_file", "Read a text file with line numbers, optionally a line range.", readFileArgs, readTextWithLines),
    define("search", "Search files for a regular expression; answers path:line: text.", searchArgs, searchFiles),
    define("write_file", "Create a file or replace its whole content.", writeFileArgs, writeWholeFile),
    define(
      "edit_file",
      "Replace one exact occurrence of old_text with new_text in a file. Prefer this over write_file for changes to existing files.",
      editFileArgs,
      editFile,
    ),
  ];
  const runCommand = options.runCommand;
  if (runCommand && options.allowCommands.length > 0) {
    definitions.push(
      define(
        "run_command",
        `Run a program in the repository directory (allowed programs: ${options.allowCommands.join(", ")}). Answers the exit code and the end of the output.`,
        runCommandArgs,
        async (ctx, args, signal) => {
          const program = args.argv[0];
          if (!options.allowCommands.includes(program)) {
            throw new ToolError(`"${program}" is not allowed. Allowed programs: ${options.allowCommands.join(", ")}.`);
          }
          const result = await runCommand(args.argv, ctx.root, options.commandTimeoutMs, signal);
          const exit = result.exitCode === null ? "was stopped (time limit)" : `exited with code ${result.exitCode}`;
          return `${args.argv.join(" ")} ${exit}.\n${result.outputTail}`;
        },
      ),
    );
  }
  const finishSpec: ToolSpec = define("finish", "Call when the fix is complete, with a summary of what you changed.", finishArgs, async () => "").spec;
  const byName = new Map(definitions.map((d) => [d.spec.name, d]));

  return {
    specs: [...definitions.map((d) => d.spec), finishSpec],

    async execute(ctx: ToolContext, call: ToolCall, signal?: AbortSignal): Promise<ToolOutcome> {
      if (call.argumentsError) return error(`Your arguments for ${call.name} could not be read: ${call.argumentsError}`);
      if (call.name === "finish") {
        const parsed = finishArgs.safeParse(call.arguments);
        return { kind: "finish", summary: parsed.success ? parsed.data.summary : "" };
      }
      const definition = byName.get(call.name);
      if (!definition) return error(`There is no tool named "${call.name}". Available: ${[...byName.keys(), "finish"].join(", ")}.`);
      const parsed = definition.schema.safeParse(call.arguments);
      if (!parsed.success) return error(`Invalid arguments for ${call.name}:\n${z.prettifyError(parsed.error)}`);
      try {
        const content = await definition.run(ctx, parsed.data as never, signal);
        return { kind: "result", content: capResult(content), isError: false };
      } catch (err) {
        if (err instanceof ToolError) return error(err.message);
        const code = (err as NodeJS.ErrnoException).code;
        // Filesystem surprises (EACCES, EISDIR, ENOSPC...) are the model's to work around, not a crash.
        if (typeof code === "string" && /^E[A-Z]+$/.test(code)) return error(`${call.name} failed: ${code}.`);
        throw err;
      }
    },
  };
}

function error(message: string): ToolOutcome {
  return { kind: "result", content: `Error: ${message}`, isError: true };
}

function capResult(text: string): string {
  if (text.length <= maxToolResultChars) return text;
  const cut = text.length - maxToolResultChars;
  return `${text.slice(0, maxToolResultChars)}\n[… ${cut.toLocaleString("en-US")} characters trimmed by autofix …]`;
}
