// The delta as the judges see it: every file with its stats, patches within a character budget, and a
// visible marker wherever something was cut, so a judge never mistakes a summary for the whole change.
import type { Delta, FileChange } from "../engine/index.js";

function fileLine(change: FileChange): string {
  const kind = change.kind === "add" ? "added" : change.kind === "delete" ? "deleted" : "modified";
  const extra = change.binary ? `, binary, ${change.size} bytes` : "";
  return `- ${change.path} (${kind}, +${change.linesAdded} -${change.linesDeleted}${extra})`;
}

export function renderDiffForJudge(delta: Delta, maxChars: number): { text: string; truncated: boolean } {
  const list = [`Files changed (${delta.files.length}):`, ...delta.files.map(fileLine)].join("\n");
  const parts: string[] = [list, ""];
  let budget = Math.max(0, maxChars - list.length);
  let truncated = false;
  // Smallest patches first: more files seen whole beats one huge file and nothing else.
  const ordered = [...delta.files].sort((a, b) => (a.patch?.length ?? 0) - (b.patch?.length ?? 0));
  const shown = new Map<string, string>();
  for (const change of ordered) {
    if (change.binary || !change.patch) {
      shown.set(change.path, `### ${change.path}\n(${change.binary ? "binary file" : "no text patch"}: content not shown)`);
      continue;
    }
    const header = `### ${change.path}\n`;
    if (header.length + change.patch.length <= budget) {
      shown.set(change.path, `${header}${change.patch}`);
      budget -= header.length + change.patch.length;
      continue;
    }
    truncated = true;
    const room = budget - header.length - 200;
    if (room > 500) {
      shown.set(
        change.path,
        `${header}${change.patch.slice(0, room)}\n[… TRUNCATED by autofix: ${change.patch.length - room} more characters of this file's patch not shown …]`,
      );
      budget = 0;
    } else {
      shown.set(change.path, `${header}[… TRUNCATED by autofix: this file's patch (${change.patch.length} characters) is not shown; see its stats above …]`);
    }
  }
  for (const change of delta.files) parts.push(shown.get(change.path) as string);
  if (truncated)
    parts.unshift(`[NOTE: the diff exceeds the ${maxChars}-character budget and was summarized; every changed file is listed, but some patches are cut.]`);
  return { text: parts.join("\n"), truncated };
}
