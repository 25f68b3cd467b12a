// Reads `go test -json` event streams (one JSON object a line; build errors and other text are skipped).
import { keepLeaves, recordOutcome, type TestOutcome, type TestResults } from "./types.js";

interface GoTestEvent {
  Action?: string;
  Package?: string;
  Test?: string;
}

export function parseGoTestJson(output: string): TestResults | undefined {
  const tests: Record<string, TestOutcome> = {};
  let found = 0;
  for (const line of output.split(/\r?\n/)) {
    if (!line.startsWith("{")) continue;
    let event: GoTestEvent;
    try {
      event = JSON.parse(line) as GoTestEvent;
    } catch {
      continue;
    }
    if (!event.Test || !event.Package) continue;
    const outcome: TestOutcome | undefined = event.Action === "pass" ? "pass" : event.Action === "fail" ? "fail" : event.Action === "skip" ? "skip" : undefined;
    if (!outcome) continue;
    found += 1;
    // Subtests are "Parent/child"; one separator for every format lets suites be dropped alike.
    recordOutcome(tests, `${event.Package} > ${event.Test.split("/").join(" > ")}`, outcome);
  }
  return found > 0 ? { format: "go-json", tests: keepLeaves(tests) } : undefined;
}
