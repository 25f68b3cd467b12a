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

export function describeStep(name: string): string {
  const m = /^(agent|gates)-(\d+)$/.exec(name);
  if (m) return m[1] === "agent" ? `Agent attempt ${m[2]}` : `Gates on attempt ${m[2]}`;
  return labels[name] ?? name;
}

export interface Progress {
  step(name: string, phase: "start" | "done" | "failed", ms: number): void;
  line(text: string): void;
  stop(): void;
}

export function createProgress(mode: "tty" | "plain" | "json", out: NodeJS.WritableStream = process.stderr): Progress {
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
      const label = describeStep(name);
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
