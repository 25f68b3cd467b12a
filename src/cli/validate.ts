// `autofix validate-config [file]`: the same messages the app posts on an issue, for a local file.
import { readFile } from "node:fs/promises";
import { parseConfig } from "../config/index.js";
import { renderConfigProblemsText } from "../config/index.js";
import { AutofixError } from "../errors.js";
import { ExitCode, UsageError } from "./errors.js";

export async function validateCommand(argv: string[]): Promise<number> {
  if (argv.length > 1) throw new UsageError("`autofix validate-config` takes at most one file.");
  const file = argv[0] ?? ".github/autofix.yml";
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw new AutofixError("FILE_UNREADABLE", { what: `${file} cannot be read.`, why: (err as Error).message, next: "Pass the path of your autofix.yml: `autofix validate-config path/to/autofix.yml`." });
  }
  const parsed = parseConfig(text, file);
  if (parsed.ok) {
    process.stdout.write(`${file} is valid.\n`);
    return ExitCode.ok;
  }
  process.stdout.write(`${file} has ${parsed.problems.length} problem(s):\n${renderConfigProblemsText(parsed.problems)}\n`);
  return ExitCode.usage;
}
