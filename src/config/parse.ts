// Reading .github/autofix.yml: YAML text or an already-parsed object in, a typed config with defaults
// or a list of problems (path, line, what is allowed) out. An absent or empty file means defaults.
import { isMap, isSeq, LineCounter, parseDocument, type Node as YamlNode } from "yaml";
import { configSchema, type AutofixConfig } from "./schema.js";
import { formatPath, problemsFromIssues, type ConfigProblem } from "./problems.js";

export type ConfigResult = { ok: true; config: AutofixConfig } | { ok: false; problems: ConfigProblem[] };

/** Probot's key for inheriting another repository's config; the loaders resolve it, validation ignores it. */
export const extendsKey = "_extends";

type Key = PropertyKey;
type LineOf = (path: Key[], keyOnly: boolean) => number | undefined;

function withoutExtends(obj: unknown): { rest: unknown; problems: ConfigProblem[] } {
  if (!obj || typeof obj !== "object" || Array.isArray(obj) || !(extendsKey in obj)) return { rest: obj, problems: [] };
  const { [extendsKey]: inherited, ...rest } = obj as Record<string, unknown>;
  const problems =
    typeof inherited === "string" && inherited.trim()
      ? []
      : [{ path: extendsKey, message: "`_extends` must name a repository to inherit from: `repo`, `owner/repo` or `owner/repo:path/to/file.yml`." }];
  return { rest, problems };
}

/** `key:` with nothing after it (often a section whose children are commented out) means "use the default". */
function withoutEmptyValues(value: unknown): unknown {
  if (!value || typeof value !== "object" || Array.isArray(value)) return value;
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== null)
      .map(([k, v]) => [k, withoutEmptyValues(v)]),
  );
}

function validate(obj: unknown, lineOf: LineOf): ConfigResult {
  if (obj === null || obj === undefined) return { ok: true, config: configSchema.parse({}) };
  if (typeof obj !== "object" || Array.isArray(obj)) {
    const found = Array.isArray(obj) ? "a list" : `the value ${JSON.stringify(obj)}`;
    return {
      ok: false,
      problems: [{ path: "", line: lineOf([], false), message: `the file must be a mapping of options (\`key: value\` lines), but it holds ${found}.` }],
    };
  }
  const { rest, problems } = withoutExtends(withoutEmptyValues(obj));
  const parsed = configSchema.safeParse(rest);
  const all = [
    ...problems,
    ...(parsed.success
      ? []
      : problemsFromIssues(parsed.error.issues, rest).map((p) => ({ path: formatPath(p.path), line: lineOf(p.path, p.keyOnly), message: p.message }))),
  ];
  if (all.length > 0) {
    const byLine = all.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
    return { ok: false, problems: byLine.map(({ line, ...p }) => (line === undefined ? p : { ...p, line })) };
  }
  return { ok: true, config: parsed.data as AutofixConfig };
}

/** Validates an object someone already parsed (Probot's context.config answers with one). */
export function validateConfigObject(obj: unknown): ConfigResult {
  return validate(obj, () => undefined);
}

function lineFinder(contents: YamlNode | null, lines: LineCounter): LineOf {
  const lineAt = (offset: number | undefined) => (offset === undefined ? undefined : lines.linePos(offset).line);
  return (path, keyOnly) => {
    let node: unknown = contents;
    let line = lineAt((contents as YamlNode | null)?.range?.[0]);
    for (const [index, key] of path.entries()) {
      const last = index === path.length - 1;
      if (isMap(node)) {
        const pair = node.items.find((item) => String((item.key as any)?.value ?? item.key) === String(key));
        if (!pair) return line;
        const keyLine = lineAt((pair.key as YamlNode | null)?.range?.[0]);
        if (last && keyOnly) return keyLine ?? line;
        node = pair.value;
        line = lineAt((pair.value as YamlNode | null)?.range?.[0]) ?? keyLine ?? line;
      } else if (isSeq(node)) {
        const item = node.items[Number(key)];
        if (item === undefined) return line;
        node = item;
        line = lineAt((item as YamlNode | null)?.range?.[0]) ?? line;
      } else return line;
    }
    return line;
  };
}

export function parseConfig(yamlText: string, sourceName = ".github/autofix.yml"): ConfigResult {
  const lines = new LineCounter();
  const doc = parseDocument(yamlText, { lineCounter: lines, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      problems: doc.errors.map((err) => ({
        path: "",
        line: err.linePos?.[0]?.line,
        message: `${sourceName} is not valid YAML: ${err.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "")}.`,
      })),
    };
  }
  return validate(doc.toJS(), lineFinder(doc.contents as YamlNode | null, lines));
}
