// ConfigInvalid, and the one way config problems are shown: a Markdown list for the issue comment
// and the `autofix / config` check run, a plain-text list for the CLI (`autofix validate-config`).
import { AutofixError } from "../errors.js";
import type { ConfigProblem } from "./problems.js";

export const configDocsPath = "docs/configuration.md";

export class ConfigInvalid extends AutofixError {
  readonly problems: ConfigProblem[];

  constructor(problems: ConfigProblem[], sourceName = ".github/autofix.yml") {
    const count = problems.length === 1 ? "a problem" : `${problems.length} problems`;
    super(
      "CONFIG_INVALID",
      {
        what: `${sourceName} has ${count}, so autofix did not start.`,
        why: problems.map((p) => renderProblemText(p, sourceName)).join("; "),
        next: `Fix the options listed (each one says what is allowed; all options are in ${configDocsPath}), then add the label again or comment \`/autofix retry\`.`,
      },
      { data: { problems, sourceName } },
    );
    this.problems = problems;
  }
}

/** User text can reach these messages (a bad value is quoted): keep it from pinging people or injecting HTML. */
function neutralize(text: string): string {
  return text
    .replace(/@(?=[A-Za-z0-9])/g, "@\u200b")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;");
}

export function renderConfigProblems(problems: readonly ConfigProblem[]): string {
  return problems
    .map((p) => {
      const file = p.source ? ` in \`${p.source}\`` : "";
      const line = p.line !== undefined ? ` (line ${p.line}${file})` : file ? ` (${file.trim()})` : "";
      return `- ${p.path ? `\`${p.path}\`` : "the file"}${line}: ${neutralize(p.message)}`;
    })
    .join("\n");
}

export function renderProblemText(problem: ConfigProblem, sourceName = ".github/autofix.yml"): string {
  const file = problem.source ?? sourceName;
  const location = problem.line !== undefined ? `${file}:${problem.line}` : file;
  return `${location}: ${problem.path ? `${problem.path}: ` : ""}${problem.message}`;
}

/** One line per problem, `file:line: path: message`, the shape editors and terminals link. */
export function renderConfigProblemsText(problems: readonly ConfigProblem[], sourceName = ".github/autofix.yml"): string {
  return problems.map((p) => renderProblemText(p, sourceName)).join("\n");
}
