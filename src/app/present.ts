// The one presenter for errors: an AutofixError (what, why, next) or anything unexpected becomes a
// Markdown block for issue comments and check-run summaries, or one plain line for the CLI and logs.
// Unknown errors never show their message or stack (they can hold paths, tokens, payloads).
import { isAutofixError, type AutofixError } from "../errors.js";
import { ConfigInvalid, renderConfigProblems } from "../config/index.js";

export interface PresentOptions {
  /** The job's id, so a maintainer can quote it to the operator. */
  jobId?: string;
}

export interface Presentation {
  code: string;
  retryable: boolean;
  markdown: string;
  /** One line, for the CLI and log lines. */
  plain: string;
}

const unexpectedCode = "UNEXPECTED";

/** Token shapes that must never reach a comment or a log line, whatever code path produced the text. */
const secretPatterns: RegExp[] = [
  /\b(gh[pousr]_[A-Za-z0-9]{16,}|github_pat_[A-Za-z0-9_]{20,})\b/g,
  /\bsk-(?:ant-)?[A-Za-z0-9_-]{16,}\b/g,
  /\bxox[abprs]-[A-Za-z0-9-]{10,}\b/g,
  /(x-access-token|oauth2|token):[^@\s/]+@/gi,
  /\b(Bearer|token)\s+[A-Za-z0-9._~+/-]{16,}=*/gi,
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g,
];

export function redactSecrets(text: string): string {
  return secretPatterns.reduce(
    (out, pattern) => out.replace(pattern, (match, prefix?: string) => (match.endsWith("@") && prefix ? `${prefix}:[redacted]@` : "[redacted]")),
    text,
  );
}

/** Keeps quoted user text from mentioning people or injecting HTML into a comment. */
function neutralizeMarkdown(text: string): string {
  return text
    .replace(/@(?=[A-Za-z0-9])/g, "@\u200b")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;");
}

function logsHint(opts: PresentOptions): string {
  return opts.jobId ? `the operator's logs have details (job ${opts.jobId})` : "the operator's logs have details";
}

function presentKnown(err: AutofixError, opts: PresentOptions): Presentation {
  const { what, why, next } = err.explanation;
  const safe = (s: string) => neutralizeMarkdown(redactSecrets(s));
  const whyBlock = err instanceof ConfigInvalid ? `**Why:**\n\n${renderConfigProblems(err.problems)}` : `**Why:** ${safe(why)}`;
  const footer = `<sub>autofix error \`${err.code}\`${err.retryable ? " (temporary: autofix will retry)" : ""}${opts.jobId ? ` · job \`${opts.jobId}\`` : ""}</sub>`;
  return {
    code: err.code,
    retryable: err.retryable,
    markdown: [`**${safe(what)}**`, "", whyBlock, "", `**Next:** ${safe(next)}`, "", footer].join("\n"),
    plain: redactSecrets(`[${err.code}] ${what} ${why} ${next}${opts.jobId ? ` (job ${opts.jobId})` : ""}`.replace(/\s*\n\s*/g, " ")),
  };
}

function presentUnknown(opts: PresentOptions): Presentation {
  const what = "autofix hit an unexpected error and stopped this attempt; nothing was published from it.";
  const next = `Comment \`/autofix retry\` to try again; if it happens again, ${logsHint(opts)}.`;
  return {
    code: unexpectedCode,
    retryable: false,
    markdown: [
      `**${what}**`,
      "",
      `**Next:** ${next}`,
      "",
      `<sub>autofix error \`${unexpectedCode}\`${opts.jobId ? ` · job \`${opts.jobId}\`` : ""}</sub>`,
    ].join("\n"),
    plain: `[${unexpectedCode}] ${what} ${next}`,
  };
}

export function presentError(err: unknown, opts: PresentOptions = {}): Presentation {
  return isAutofixError(err) ? presentKnown(err, opts) : presentUnknown(opts);
}

export const presentMarkdown = (err: unknown, opts: PresentOptions = {}): string => presentError(err, opts).markdown;
export const presentPlain = (err: unknown, opts: PresentOptions = {}): string => presentError(err, opts).plain;
