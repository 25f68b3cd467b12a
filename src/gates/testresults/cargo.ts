// Reads the text output of `cargo test` (libtest's default pretty format), test binary by test binary.
import { recordOutcome, type TestOutcome, type TestResults } from "./types.js";

export function parseCargoTest(output: string): TestResults | undefined {
  const tests: Record<string, TestOutcome> = {};
  // The same test name can exist in several binaries (lib, tests/*.rs, doc-tests): prefix with the source.
  let target = "";
  let found = 0;
  for (const line of output.split(/\r?\n/)) {
    const running = /^\s*Running (?:unittests )?(\S+)/.exec(line);
    if (running) {
      target = running[1] ?? "";
      continue;
    }
    const doc = /^\s*Doc-tests (\S+)/.exec(line);
    if (doc) {
      target = `doc-tests ${doc[1]}`;
      continue;
    }
    const result = /^test (.+?) \.\.\. (ok|FAILED|ignored|failed)\b/.exec(line);
    if (!result) continue;
    const status = result[2];
    const outcome: TestOutcome = status === "ok" ? "pass" : status === "ignored" ? "skip" : "fail";
    found += 1;
    recordOutcome(tests, target ? `${target} > ${result[1]}` : (result[1] as string), outcome);
  }
  return found > 0 ? { format: "cargo", tests } : undefined;
}
