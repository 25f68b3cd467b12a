// Reads the configuration formats lint, type-check and test runners use (JSON with comments, YAML, TOML,
// INI, JavaScript object literals) into one flat shape: dotted key path → values (a list's items, or one
// scalar). Deliberately small: enough to compare two versions of a config, not to evaluate one.

export type FlatConfig = Map<string, string[]>;

function add(flat: FlatConfig, key: string, value: string): void {
  const values = flat.get(key) ?? [];
  values.push(value.trim().replace(/^(["'])(.*)\1$/, "$2"));
  flat.set(key, values);
}

/** Drops comments (keeping strings) and trailing commas, so tsconfig and .eslintrc parse as JSON. */
export function stripJsonComments(text: string): string {
  let out = "";
  let i = 0;
  while (i < text.length) {
    const char = text[i] as string;
    if (char === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
    } else if (text.startsWith("//", i)) {
      const end = text.indexOf("\n", i);
      i = end < 0 ? text.length : end;
    } else if (text.startsWith("/*", i)) {
      const end = text.indexOf("*/", i + 2);
      i = end < 0 ? text.length : end + 2;
    } else {
      out += char;
      i += 1;
    }
  }
  return out.replace(/,(\s*[}\]])/g, "$1");
}

function walkJson(flat: FlatConfig, value: unknown, prefix: string): void {
  if (Array.isArray(value)) {
    for (const item of value) {
      if (item !== null && typeof item === "object") walkJson(flat, item, `${prefix}[]`);
      else add(flat, prefix, String(item));
    }
    if (value.length === 0) flat.set(prefix, flat.get(prefix) ?? []);
  } else if (value !== null && typeof value === "object") {
    for (const [key, child] of Object.entries(value)) walkJson(flat, child, prefix ? `${prefix}.${key}` : key);
  } else add(flat, prefix, String(value));
}

function flattenJson(text: string): FlatConfig | undefined {
  try {
    const flat: FlatConfig = new Map();
    walkJson(flat, JSON.parse(stripJsonComments(text)), "");
    return flat;
  } catch {
    return undefined;
  }
}

function splitList(text: string): string[] {
  return text
    .replace(/^\[|\]$/g, "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

function dropComment(line: string): string {
  // A `#` after whitespace starts a comment in YAML, TOML and INI alike; inside quotes it does not.
  let quote = "";
  for (let i = 0; i < line.length; i += 1) {
    const char = line[i] as string;
    if (quote) {
      if (char === quote) quote = "";
    } else if (char === '"' || char === "'") quote = char;
    else if (char === "#" && (i === 0 || /\s/.test(line[i - 1] as string))) return line.slice(0, i);
  }
  return line;
}

function flattenYaml(text: string): FlatConfig {
  const flat: FlatConfig = new Map();
  // Stack of (indent, key path); a list item's nested keys live under `path[]`.
  const stack: { indent: number; path: string }[] = [];
  for (const raw of text.split("\n")) {
    const line = dropComment(raw).replace(/\s+$/, "");
    if (!line.trim() || /^\s*(---|\.\.\.)\s*$/.test(line)) continue;
    let indent = line.length - line.trimStart().length;
    let body = line.trim();
    while (stack.length > 0 && (stack[stack.length - 1] as { indent: number }).indent >= indent) stack.pop();
    let parent = stack.length > 0 ? (stack[stack.length - 1] as { path: string }).path : "";
    if (body.startsWith("- ") || body === "-") {
      body = body.slice(1).trim();
      const item = /^([\w.@/-]+|"[^"]+"|'[^']+')\s*:(?:\s+(.*))?$/.exec(body);
      if (!item) {
        if (body) add(flat, parent, body);
        continue;
      }
      // `- key: value` opens a mapping inside the list: its keys sit two columns deeper.
      parent = `${parent}[]`;
      indent += 2;
      stack.push({ indent: indent - 1, path: parent });
    }
    const pair = /^([^:]+?|"[^"]+"|'[^']+')\s*:(?:\s+(.*))?$/.exec(body);
    if (!pair) continue;
    const key = (pair[1] as string).trim().replace(/^(["'])(.*)\1$/, "$2");
    const path = parent ? `${parent}.${key}` : key;
    const value = (pair[2] ?? "").trim();
    if (!value) {
      stack.push({ indent, path });
      flat.set(path, flat.get(path) ?? []);
    } else if (value.startsWith("[")) for (const item of splitList(value)) add(flat, path, item);
    else if (value.startsWith("{"))
      for (const part of splitList(value.replace(/^\{|\}$/g, ""))) {
        const [k, v] = part.split(":").map((s) => s.trim());
        if (k && v !== undefined) add(flat, `${path}.${k}`, v);
      }
    else add(flat, path, value);
  }
  return flat;
}

function flattenToml(text: string): FlatConfig {
  const flat: FlatConfig = new Map();
  let section = "";
  const arrayCounts = new Map<string, number>();
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i += 1) {
    const line = dropComment(lines[i] as string).trim();
    if (!line) continue;
    const table = /^\[\[\s*([^\]]+?)\s*\]\]$/.exec(line) ?? /^\[\s*([^\]]+?)\s*\]$/.exec(line);
    if (table) {
      const name = (table[1] as string).replace(/"/g, "");
      if (line.startsWith("[[")) {
        const index = arrayCounts.get(name) ?? 0;
        arrayCounts.set(name, index + 1);
        section = `${name}[${index}]`;
        add(flat, `${name}[]`, String(index));
      } else section = name;
      flat.set(section, flat.get(section) ?? []);
      continue;
    }
    const pair = /^("[^"]+"|'[^']+'|[\w.-]+)\s*=\s*(.*)$/.exec(line);
    if (!pair) continue;
    const key = `${section ? `${section}.` : ""}${(pair[1] as string).replace(/^(["'])(.*)\1$/, "$2")}`;
    let value = (pair[2] as string).trim();
    // Multi-line arrays run until the bracket closes.
    if (value.startsWith("[") && !value.includes("]")) {
      while (i + 1 < lines.length && !value.includes("]")) value += ` ${dropComment(lines[++i] as string).trim()}`;
    }
    if (value.startsWith("[")) {
      flat.set(key, flat.get(key) ?? []);
      for (const item of splitList(value)) add(flat, key, item);
    } else if (value.startsWith("{")) {
      for (const part of splitList(value.replace(/^\{|\}$/g, ""))) {
        const [k, v] = part.split("=").map((s) => s.trim());
        if (k && v !== undefined) add(flat, `${key}.${k}`, v);
      }
    } else add(flat, key, value);
  }
  return flat;
}

function flattenIni(text: string): FlatConfig {
  const flat: FlatConfig = new Map();
  let section = "";
  let lastKey = "";
  for (const raw of text.split("\n")) {
    if (/^\s*[#;]/.test(raw)) continue;
    const line = dropComment(raw).replace(/\s+$/, "");
    if (!line.trim()) continue;
    const header = /^\[([^\]]+)\]$/.exec(line.trim());
    if (header) {
      section = (header[1] as string).trim();
      flat.set(section, flat.get(section) ?? []);
      lastKey = "";
      continue;
    }
    // An indented line continues the previous key's list (flake8's per-file-ignores, pytest's testpaths).
    if (/^\s/.test(line) && lastKey) {
      for (const item of line
        .trim()
        .split(/[,\s]+/)
        .filter(Boolean))
        add(flat, lastKey, item);
      continue;
    }
    const pair = /^([\w.-]+)\s*[=:]\s*(.*)$/.exec(line.trim());
    if (!pair) continue;
    lastKey = `${section}.${pair[1] as string}`;
    flat.set(lastKey, flat.get(lastKey) ?? []);
    for (const item of (pair[2] as string).split(/,\s*|\s+(?=-)/).filter(Boolean)) add(flat, lastKey, item);
  }
  return flat;
}

/** JavaScript object literals, read by key name only (nesting is not tracked). */
function flattenJs(text: string): FlatConfig {
  const flat: FlatConfig = new Map();
  const code = stripJsonComments(text.replace(/\/\/.*$/gm, ""));
  const pair = /(?:^|[{,\s])(\w[\w-]*|"[^"]+"|'[^']+')\s*:\s*(\[[^\]]*\]|"[^"]*"|'[^']*'|`[^`]*`|[\w.-]+|\/(?:\\.|[^/\n])+\/\w*)/g;
  for (const match of code.matchAll(pair)) {
    const key = (match[1] as string).replace(/^(["'])(.*)\1$/, "$2");
    const value = match[2] as string;
    if (value.startsWith("[")) {
      flat.set(key, flat.get(key) ?? []);
      for (const item of value
        .slice(1, -1)
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean))
        add(flat, key, item.replace(/^`(.*)`$/, "$1"));
    } else add(flat, key, value.replace(/^`(.*)`$/, "$1"));
  }
  return flat;
}

export function flattenConfig(path: string, text: string): FlatConfig {
  if (!text.trim()) return new Map();
  if (/\.(?:json5?|jsonc)$/i.test(path) || /(^|\/)\.(?:eslintrc|prettierrc|babelrc)$/.test(path)) {
    const json = flattenJson(text);
    if (json) return json;
    if (/(^|\/)\.(?:eslintrc|prettierrc)$/.test(path)) return flattenYaml(text);
    return new Map();
  }
  if (/\.ya?ml$/i.test(path)) return flattenYaml(text);
  if (/\.toml$/i.test(path)) return flattenToml(text);
  if (/\.(?:cfg|ini)$/i.test(path) || /(^|\/)\.(?:flake8|pylintrc|coveragerc)$|(^|\/)pylintrc$/.test(path)) return flattenIni(text);
  if (/\.[cm]?[jt]s$/i.test(path)) return flattenJs(text);
  return new Map();
}
