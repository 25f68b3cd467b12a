// Walks the spawn the way the delta sees it: `.git` skipped, `.gitignore` rules (root and nested)
// honoured, symlinks listed but never followed, and a hard bound on how many entries are visited.
import { readFile, readdir } from "node:fs/promises";
import path from "node:path";
import ignore, { type Ignore } from "ignore";

export interface WalkEntry {
  /** Relative to the spawn root, `/`-separated. */
  relative: string;
  kind: "file" | "dir" | "link";
}

interface Matcher {
  base: string;
  rules: Ignore;
}

async function loadMatcher(root: string, relDir: string): Promise<Matcher | undefined> {
  const text = await readFile(path.join(root, relDir, ".gitignore"), "utf8").catch(() => undefined);
  return text === undefined ? undefined : { base: relDir, rules: ignore().add(text) };
}

function isIgnored(matchers: Matcher[], relative: string, isDir: boolean): boolean {
  for (const { base, rules } of matchers) {
    const within = base === "" ? relative : relative.startsWith(`${base}/`) ? relative.slice(base.length + 1) : undefined;
    if (within && rules.ignores(isDir ? `${within}/` : within)) return true;
  }
  return false;
}

/** Visit entries under `startRel` (breadth first), at most `maxVisited`; `truncated` says when the bound cut it short. */
export async function walkSpawn(
  root: string,
  startRel: string,
  options: { recursive: boolean; maxVisited: number },
  visit: (entry: WalkEntry) => Promise<void> | void,
): Promise<{ truncated: boolean }> {
  const start = startRel === "." ? "" : startRel;
  // Rules of the start directory's ancestors apply to it too.
  const matchers: Matcher[] = [];
  const segments = start ? start.split("/") : [];
  for (let i = 0; i < segments.length; i++) {
    const matcher = await loadMatcher(root, segments.slice(0, i).join("/"));
    if (matcher) matchers.push(matcher);
  }
  const queue: { dir: string; matchers: Matcher[] }[] = [{ dir: start, matchers }];
  let visited = 0;
  while (queue.length > 0) {
    const { dir, matchers: inherited } = queue.shift()!;
    const own = await loadMatcher(root, dir);
    const active = own ? [...inherited, own] : inherited;
    const entries = await readdir(path.join(root, dir), { withFileTypes: true }).catch(() => []);
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of entries) {
      if (entry.name === ".git") continue;
      const relative = dir ? `${dir}/${entry.name}` : entry.name;
      const kind: WalkEntry["kind"] = entry.isSymbolicLink() ? "link" : entry.isDirectory() ? "dir" : "file";
      if (!entry.isSymbolicLink() && !entry.isDirectory() && !entry.isFile()) continue;
      if (isIgnored(active, relative, kind === "dir")) continue;
      if (visited >= options.maxVisited) return { truncated: true };
      visited++;
      await visit({ relative, kind });
      if (kind === "dir" && options.recursive) queue.push({ dir: relative, matchers: active });
    }
  }
  return { truncated: false };
}
