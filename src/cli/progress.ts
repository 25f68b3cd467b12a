// Progress as a person expects: a spinner with elapsed time on a terminal, plain lines otherwise,
// nothing but the final JSON document with --json.
const frames = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

const labels: Record<string, string> = {
  config: "Reading configuration",
  quota: "Checking quotas",
  resolve: "Reading the repository and the issue",
  spawn: "Materializing the spawn (isolated copy at a pinned commit)",
  push: "Absorbing the delta onto the base branch and pushing",
  "push-kept": "Keeping the change on a branch",
  pr: "Opening the pull request",
  checks: "Publishing check runs",
  "checks-kept": "Publishing check runs",
  "pr-extras": "Labels, reviewers and review comments",
};

/** Local mode writes a branch in the user's repository and a report file; it opens nothing. */
function localLabels(branch: string): Record<string, string> {
  return {
    push: `Writing branch ${branch} (the change on top of the current base branch)`,
    "push-kept": `Keeping the change on branch ${branch}`,
    pr: "Writing the report",
    checks: "Writing the gate reports",
    "checks-kept": "Writing the gate reports",
    "pr-extras": "Finishing the report",
  };
}

export function describeStep(name: string, local?: { branch: string }): string {
  const m = /^(agent|gates)-(\d+)$/.exec(name);
  if (m) return m[1] === "agent" ? `Agent attempt ${m[2]}` : `Gates on attempt ${m[2]}`;
  return (local ? localLabels(local.branch)[name] : undefined) ?? labels[name] ?? name;
}

export interface Progress {
  step(name: string, phase: "start" | "done" | "failed", ms: number): void;
  line(text: string): void;
  stop(): void;
}

export function createProgress(mode: "tty" | "plain" | "json", out: NodeJS.WritableStream = process.stderr, local?: { branch: string }): Progress {
  if (mode === "json") return { step() {}, line() {}, stop() {} };
  let timer: NodeJS.Timeout | undefined;
  let current: { label: string; startedAt: number } | undefined;
  let frame = 0;
  const clear = () => mode === "tty" && out.write("\r\x1b[2K");
  const draw = () => {
    if (!current) return;
    clear();
    out.write(`${frames[frame++ % frames.length]} ${current.label} (${((Date.now() - current.startedAt) / 1000).toFixed(1)} s)`);
  };
  return {
    step(name, phase, ms) {
      const label = describeStep(name, local);
      if (phase === "start") {
        current = { label, startedAt: Date.now() };
        if (mode === "tty") {
          timer ??= setInterval(draw, 100);
          draw();
        } else out.write(`… ${label}\n`);
        return;
      }
      current = undefined;
      clear();
      out.write(`${phase === "done" ? "✔" : "✖"} ${label} (${(ms / 1000).toFixed(1)} s)\n`);
    },
    line(text) {
      clear();
      out.write(`${text}\n`);
      if (current) draw();
    },
    stop() {
      if (timer) clearInterval(timer);
      clear();
    },
  };
}

const levelNames: Record<number, string> = { 10: "trace", 20: "debug", 30: "info", 40: "warning", 50: "error", 60: "fatal" };

/**
 * A log destination for people: one readable line per log record (level, message, the fields that
 * matter) instead of pino's JSON. `--json` keeps JSON: the final document is on stdout, the log on stderr.
 */
export function humanLogDestination(out: NodeJS.WritableStream = process.stderr): { write(line: string): void } {
  const skip = new Set(["level", "time", "pid", "hostname", "msg", "v"]);
  return {
    write(line: string) {
      let record: Record<string, unknown>;
      try {
        record = JSON.parse(line) as Record<string, unknown>;
      } catch {
        out.write(line.endsWith("\n") ? line : `${line}\n`);
        return;
      }
      const level = levelNames[Number(record.level)] ?? "log";
      const fields = Object.entries(record)
        .filter(([k]) => !skip.has(k))
        .map(([k, v]) => {
          if (k === "err" && v && typeof v === "object") return `${k}: ${String((v as { message?: unknown }).message ?? "")}`;
          return `${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`;
        });
      out.write(`${level}: ${String(record.msg ?? "")}${fields.length ? ` (${fields.join("; ")})` : ""}\n`);
    },
  };
}
