// Splits source text into what is code and what is comment, per language, with strings blanked: a marker
// quoted in a string or mentioned in a comment is not applied, while suppressions live only in comments.
// Offsets are kept (blanked characters become spaces, newlines stay), so a match in one view can be read
// back in the original text.

export type Language = "js" | "python" | "go" | "rust" | "ruby" | "hash" | "other";

export function languageOf(path: string): Language {
  if (/\.(?:[cm]?[jt]sx?|vue|svelte)$/i.test(path)) return "js";
  if (/\.pyi?$/i.test(path)) return "python";
  if (/\.go$/i.test(path)) return "go";
  if (/\.rs$/i.test(path)) return "rust";
  if (/\.(?:rb|rake)$/i.test(path) || /(^|\/)(Gemfile|Rakefile)$/.test(path)) return "ruby";
  if (/\.(?:toml|ya?ml|cfg|ini|sh)$/i.test(path) || /(^|\/)(Makefile|makefile|GNUmakefile|justfile)$/.test(path)) return "hash";
  return "other";
}

export interface CodeViews {
  /** Code with comments and string contents blanked (string delimiters kept). */
  code: string;
  /** Comment text only, everything else blanked. */
  comments: string;
}

function blank(char: string): string {
  return char === "\n" ? "\n" : " ";
}

interface Syntax {
  line: string[];
  block?: [string, string];
  /** Triple-quoted or raw strings checked before the simple ones. */
  longStrings: [string, string][];
  quotes: string[];
  escapes: boolean;
}

const syntaxes: Record<Exclude<Language, "other">, Syntax> = {
  js: { line: ["//"], block: ["/*", "*/"], longStrings: [], quotes: ['"', "'", "`"], escapes: true },
  python: {
    line: ["#"],
    longStrings: [
      ['"""', '"""'],
      ["'''", "'''"],
    ],
    quotes: ['"', "'"],
    escapes: true,
  },
  go: { line: ["//"], block: ["/*", "*/"], longStrings: [["`", "`"]], quotes: ['"'], escapes: true },
  // Rust's char literals and lifetimes share the apostrophe; only double-quoted strings are blanked.
  rust: { line: ["//"], block: ["/*", "*/"], longStrings: [['r#"', '"#']], quotes: ['"'], escapes: true },
  ruby: { line: ["#"], longStrings: [], quotes: ['"', "'"], escapes: true },
  hash: { line: ["#"], longStrings: [], quotes: [], escapes: false },
};

/** Both views of a text; "other" languages are taken as all code (no comment syntax known). */
export function splitCode(text: string, language: Language): CodeViews {
  if (language === "other") return { code: text, comments: text.replace(/[^\n]/g, " ") };
  const syntax = syntaxes[language];
  let code = "";
  let comments = "";
  let i = 0;
  const push = (chunk: string, into: "code" | "comment" | "string") => {
    if (into === "code") {
      code += chunk;
      comments += chunk.replace(/[^\n]/g, " ");
    } else if (into === "comment") {
      comments += chunk;
      code += chunk.replace(/[^\n]/g, " ");
    } else {
      code += chunk.replace(/[^\n]/g, blank);
      comments += chunk.replace(/[^\n]/g, blank);
    }
  };
  while (i < text.length) {
    const rest = text.startsWith.bind(text);
    const lineMarker = syntax.line.find((m) => rest(m, i));
    if (lineMarker) {
      const end = text.indexOf("\n", i);
      const stop = end < 0 ? text.length : end;
      push(text.slice(i, stop), "comment");
      i = stop;
      continue;
    }
    if (syntax.block && rest(syntax.block[0], i)) {
      const end = text.indexOf(syntax.block[1], i + syntax.block[0].length);
      const stop = end < 0 ? text.length : end + syntax.block[1].length;
      push(text.slice(i, stop), "comment");
      i = stop;
      continue;
    }
    const long = syntax.longStrings.find(([open]) => rest(open, i));
    if (long) {
      const end = text.indexOf(long[1], i + long[0].length);
      const stop = end < 0 ? text.length : end + long[1].length;
      push(long[0], "code");
      push(text.slice(i + long[0].length, stop - (end < 0 ? 0 : long[1].length)), "string");
      if (end >= 0) push(long[1], "code");
      i = stop;
      continue;
    }
    const quote = syntax.quotes.find((q) => text[i] === q);
    if (quote) {
      let j = i + 1;
      while (j < text.length && text[j] !== quote) {
        if (syntax.escapes && text[j] === "\\") j += 1;
        // An unterminated simple string ends at the line (template literals may span lines).
        else if (text[j] === "\n" && quote !== "`") break;
        j += 1;
      }
      push(quote, "code");
      push(text.slice(i + 1, Math.min(j, text.length)), "string");
      if (text[j] === quote) push(quote, "code");
      i = text[j] === quote ? j + 1 : j;
      continue;
    }
    push(text[i] as string, "code");
    i += 1;
  }
  return { code, comments };
}

/** Occurrences of a pattern (made global) in a text. */
export function countIn(text: string, pattern: RegExp): number {
  const global = new RegExp(pattern.source, pattern.flags.includes("g") ? pattern.flags : `${pattern.flags}g`);
  return [...text.matchAll(global)].length;
}

/** Match positions of a pattern (made global) in a text. */
export function matchesIn(text: string, pattern: RegExp): RegExpMatchArray[] {
  const global = new RegExp(pattern.source, pattern.flags.includes("g") ? pattern.flags : `${pattern.flags}g`);
  return [...text.matchAll(global)];
}
