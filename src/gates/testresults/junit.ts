// Reads JUnit XML as written by jest-junit, vitest's junit reporter, mocha's reporters and pytest --junitxml.
// A small scanner rather than an XML library: only <testcase> elements and their outcome children matter.
import { recordOutcome, type TestOutcome, type TestResults } from "./types.js";

const entities: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, ref: string) => {
    if (ref.startsWith("#x") || ref.startsWith("#X")) return String.fromCodePoint(parseInt(ref.slice(2), 16));
    if (ref.startsWith("#")) return String.fromCodePoint(parseInt(ref.slice(1), 10));
    return entities[ref.toLowerCase()] ?? whole;
  });
}

function readAttributes(tag: string): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const match of tag.matchAll(/([\w:.-]+)\s*=\s*("([^"]*)"|'([^']*)')/g)) {
    attributes[match[1] as string] = decodeEntities(match[3] ?? match[4] ?? "");
  }
  return attributes;
}

// Names runners give every suite or case, which tell one test from another no better than nothing.
const genericSuites = new Set(["", "pytest", "root suite", "mocha tests", "jest tests", "vitest tests"]);
const genericClassnames = new Set(["", "test"]);

function testId(attributes: Record<string, string>, suites: string[]): string {
  const name = (attributes.name ?? "").trim();
  const classname = (attributes.classname ?? "").trim();
  // jest-junit and mocha repeat the suite in the name; pytest and vitest keep module/file in classname;
  // node's reporter nests <testsuite> per describe and calls every classname "test".
  const segments = suites.filter((suite) => !genericSuites.has(suite.toLowerCase()) && !classname.includes(suite) && !name.includes(suite));
  if (!genericClassnames.has(classname) && !name.includes(classname)) segments.push(classname);
  segments.push(name);
  return segments.join(" > ");
}

/** Returns undefined when the text holds no <testcase>: the caller falls back to whole-command results. */
export function parseJunitXml(xml: string): TestResults | undefined {
  // Failure bodies may quote XML (stack traces, snapshots); drop CDATA and comments before scanning.
  const text = xml.replace(/<!\[CDATA\[[\s\S]*?\]\]>/g, "").replace(/<!--[\s\S]*?-->/g, "");
  const tests: Record<string, TestOutcome> = {};
  const suites: string[] = [];
  let found = 0;
  const token = /<testsuite\b([^>]*?)(\/?)>|<\/testsuite\s*>|<testcase\b([^>]*?)(\/>|>([\s\S]*?)<\/testcase\s*>)/g;
  for (const match of text.matchAll(token)) {
    if (match[0].startsWith("</testsuite")) {
      suites.pop();
      continue;
    }
    if (match[0].startsWith("<testsuite")) {
      if (match[2] !== "/") suites.push((readAttributes(match[1] ?? "").name ?? "").trim());
      continue;
    }
    const attributes = readAttributes(match[3] ?? "");
    const body = match[5] ?? "";
    const id = testId(attributes, suites);
    if (!(attributes.name ?? "").trim()) continue;
    found += 1;
    let outcome: TestOutcome = "pass";
    if (/<(failure|error)\b/.test(body)) outcome = "fail";
    else if (/<skipped\b/.test(body)) outcome = "skip";
    recordOutcome(tests, id, outcome);
  }
  return found > 0 ? { format: "junit", tests } : undefined;
}
