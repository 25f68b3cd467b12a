// Per-test evidence for configured commands too: arguments that make a known runner report each test,
// appended only to a plain invocation (no pipes, no chained commands, no reporter already chosen).
// `{report}` becomes a scratch path for a JUnit file; runners that print per-test lines need none.

interface Injection {
  runner: RegExp;
  /** Already reporting per test, or chosen otherwise by the maintainers. */
  present: RegExp;
  args: string;
}

const injections: Injection[] = [
  { runner: /^(?:python3?\s+-m\s+)?(?:pytest|py\.test)\b/, present: /--junit-?xml\b/, args: "--junitxml={report}" },
  { runner: /^go\s+test\b/, present: /(?:^|\s)-json\b/, args: "-json" },
  { runner: /^(?:npx\s+)?vitest(?:\s+run)?\b/, present: /--reporter\b/, args: "--reporter=default --reporter=junit --outputFile.junit={report}" },
  { runner: /^npm\s+(?:run\s+)?test\b/, present: /./, args: "" },
];

/** The arguments to append to a configured command, or undefined when it is left as written. */
export function reporterArgsFor(run: string): string | undefined {
  const command = run.trim();
  // Anything after a pipe or a chain would receive the arguments instead of the runner.
  if (/[|;&<>`$()]/.test(command) || /\s--(?:\s|$)/.test(command)) return undefined;
  for (const injection of injections) {
    if (!injection.runner.test(command)) continue;
    if (injection.present.test(command.replace(injection.runner, "")) || !injection.args) return undefined;
    return injection.args;
  }
  return undefined;
}
