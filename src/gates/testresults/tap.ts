// Reads TAP as printed by `node --test` (its default reporter when output is not a terminal) and
// other TAP producers. Nesting comes from indentation and the `# Subtest:` lines node prints.
import { keepLeaves, recordOutcome, type TestOutcome, type TestResults } from "./types.js";

const resultLine = /^(\s*)(not ok|ok)\b\s*\d*\s*(?:-\s*)?(.*)$/;
const subtestLine = /^(\s*)# Subtest: (.*)$/;

function splitDirective(rest: string): { name: string; directive?: "skip" | "todo" } {
  const match = /^(.*?)\s+#\s*(SKIP|TODO)\b.*$/i.exec(rest);
  if (!match) return { name: rest.trim() };
  return { name: (match[1] ?? "").trim(), directive: (match[2] ?? "").toLowerCase() as "skip" | "todo" };
}

export function parseTap(output: string): TestResults | undefined {
  const tests: Record<string, TestOutcome> = {};
  // indent → name of the subtest announced at that indent, so a result line finds its parents.
  const announced = new Map<number, string>();
  let found = 0;
  for (const line of output.split(/\r?\n/)) {
    const subtest = subtestLine.exec(line);
    if (subtest) {
      const indent = (subtest[1] ?? "").length;
      announced.set(indent, (subtest[2] ?? "").trim());
      for (const key of [...announced.keys()]) if (key > indent) announced.delete(key);
      continue;
    }
    const result = resultLine.exec(line);
    if (!result) continue;
    const indent = (result[1] ?? "").length;
    const { name, directive } = splitDirective(result[3] ?? "");
    if (!name) continue;
    const parents = [...announced.entries()].filter(([key]) => key < indent).sort(([a], [b]) => a - b);
    const id = [...parents.map(([, parent]) => parent), name].join(" > ");
    found += 1;
    const outcome: TestOutcome = directive ? "skip" : result[2] === "ok" ? "pass" : "fail";
    recordOutcome(tests, id, outcome);
  }
  return found > 0 ? { format: "tap", tests: keepLeaves(tests) } : undefined;
}
