// Turning zod's issues into sentences a maintainer can act on: the option's path, what was found,
// and what is allowed there (enum values, numeric ranges, types), with a "did you mean" for typos.
import type { z } from "zod";
import { configSchema } from "./schema.js";
import { allOptionPaths, describeAllowed, optionNames, schemaAt } from "./schemaWalk.js";

export interface ConfigProblem {
  /** Dotted path of the option, e.g. `gates.semantic.minConfidence` (`agent.passEnv.0` for list entries). */
  path: string;
  /** 1-based line in the file, when the problem comes from a file. */
  line?: number;
  /** What is wrong and what is allowed there. */
  message: string;
  /** The file it is in, when it is not the repository's own `.github/autofix.yml` (an `_extends` base). */
  source?: string;
}

type Issue = z.core.$ZodIssue;
type Key = PropertyKey;

export function formatPath(path: readonly Key[]): string {
  return path.map(String).join(".");
}

function valueAt(root: unknown, path: readonly Key[]): unknown {
  let node: any = root;
  for (const key of path) node = node == null ? undefined : node[key as any];
  return node;
}

function describeFound(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "an empty value";
  // The file is public already, but a comment need not repeat a credential-shaped value.
  if (typeof value === "string" && /^(sk-|ghs_|ghp_|gho_|github_pat_|xox)/.test(value)) return "a value shaped like a key or token";
  if (typeof value === "string") return `the text "${value.length > 60 ? `${value.slice(0, 60)}…` : value}"`;
  if (typeof value === "number" || typeof value === "boolean") return `\`${value}\``;
  if (Array.isArray(value)) return "a list";
  return "a mapping";
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length];
}

/** The closest known name, if it is close enough to be a typo. */
export function closestName(unknown: string, known: readonly string[]): string | undefined {
  const lower = unknown.toLowerCase();
  let best: { name: string; distance: number } | undefined;
  for (const name of known) {
    const distance = editDistance(lower, name.toLowerCase());
    if (!best || distance < best.distance) best = { name, distance };
  }
  if (!best) return undefined;
  return best.distance <= Math.max(2, Math.floor(unknown.length / 3)) ? best.name : undefined;
}

function unknownKeyMessage(parentPath: readonly Key[], key: string): string {
  const known = optionNames(schemaAt(configSchema, parentPath));
  const typo = closestName(key, known);
  if (typo) return `unknown option \`${key}\`: did you mean \`${typo}\`?`;
  // The right name in the wrong place, e.g. `minConfidence` at the top level.
  const elsewhere = allOptionPaths(configSchema).find((p) => p.at(-1)?.toLowerCase() === key.toLowerCase());
  if (elsewhere) return `unknown option \`${key}\` here: it belongs under \`${formatPath(elsewhere.slice(0, -1))}\`.`;
  const where = parentPath.length ? `in \`${formatPath(parentPath)}\`` : "at the top level";
  return `unknown option \`${key}\`; the options ${where} are ${known.map((n) => `\`${n}\``).join(", ")}.`;
}

function isCustomMessage(issue: Issue): boolean {
  // zod's own messages start with these words; a schema's custom message (e.g. a regex hint) does not.
  return !/^(Invalid|Too (big|small)|Expected|Required)/.test(issue.message);
}

function sentenceFor(issue: Issue, path: readonly Key[], input: unknown): string {
  const node = schemaAt(configSchema, path);
  const found = describeFound(valueAt(input, path));
  const hint = issue.code === "invalid_format" && isCustomMessage(issue) ? issue.message : undefined;
  const allowed = describeAllowed(node, hint);
  switch (issue.code) {
    case "invalid_value": {
      const value = valueAt(input, path);
      const typo = typeof value === "string" ? closestName(value, issue.values.map(String)) : undefined;
      return `${found} is not allowed here; use ${allowed}.${typo ? ` Did you mean \`${typo}\`?` : ""}`;
    }
    case "invalid_type": {
      const value = valueAt(input, path);
      if (value === undefined) return `this option is required: ${allowed}.`;
      // YAML reads `"2"` and `'true'` as text; the fix is to drop the quotes.
      const quoted =
        typeof value === "string" &&
        ((issue.expected === "number" && value.trim() !== "" && !Number.isNaN(Number(value))) ||
          (issue.expected === "boolean" && /^(true|false)$/i.test(value)));
      return `found ${found}, but this must be ${allowed}.${quoted ? " Write it without quotes." : ""}`;
    }
    case "too_small":
    case "too_big": {
      const value = valueAt(input, path);
      const size = Array.isArray(value) ? `a list of ${value.length}` : typeof value === "string" ? `text of ${value.length} characters` : found;
      return `${size} is too ${issue.code === "too_small" ? "small" : "large"}; this must be ${allowed}.`;
    }
    case "invalid_format":
      return `${found} does not fit: this must be ${allowed}.`;
    case "not_multiple_of":
      return `${found} must be a multiple of ${String(issue.divisor)}.`;
    case "invalid_union":
      return `found ${found}, but this must be ${allowed}.`;
    case "custom":
      // A refinement's message says what is allowed; say what was found when there is something.
      return valueAt(input, path) === undefined ? issue.message : `${found} is not allowed here: this must be ${issue.message.replace(/\.$/, "")}.`;
    default:
      return `${issue.message} (allowed: ${allowed}).`;
  }
}

/** One or more problems per zod issue (one per unknown key); lines are filled in by the caller. */
export function problemsFromIssues(issues: readonly Issue[], input: unknown): { path: Key[]; keyOnly: boolean; message: string }[] {
  return issues.flatMap((issue) => {
    const path = [...issue.path];
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) => ({ path: [...path, key], keyOnly: true, message: unknownKeyMessage(path, key) }));
    }
    if (issue.code === "invalid_union") {
      // When the entry is a mapping, the mapping branch's own issues are the helpful ones (e.g. a typo in `run`).
      const value = valueAt(input, path);
      const branch = issue.errors.find((errs) => errs.length > 0 && errs.every((e) => !(e.code === "invalid_type" && e.path.length === 0)));
      if (value && typeof value === "object" && branch) {
        return problemsFromIssues(
          branch.map((e) => ({ ...e, path: [...path, ...e.path] }) as Issue),
          input,
        );
      }
    }
    return [{ path, keyOnly: false, message: sentenceFor(issue, path, input) }];
  });
}
