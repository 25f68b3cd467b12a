// The dashboard issue's body: the repository's jobs by state, each with checkboxes that steer it, and
// the parser that reads which boxes a person ticked. Job text (issue titles, outcome messages) is
// hostile: it is flattened and defused before it lands in the body.
import type { JobRecord } from "../jobs/index.js";
import { spentSoFar } from "../pipeline/index.js";

export const dashboardMarker = "<!-- autofix:dashboard -->";
export type DashboardAction = "retry" | "stop" | "run-now";

const blockedKinds = new Set(["gates-failed", "guard-refused", "conflict", "limit-reached", "config-invalid", "error", "no-change"]);
const recentCount = 10;

function actionBox(action: DashboardAction, key: string, label: string): string {
  return `\n  - [ ] ${label} <!-- autofix:do:${action}:${key} -->`;
}

/** One line of text from a job: no markup that could hide a marker, ping people or break the list. */
export function defuse(text: string, max = 200): string {
  const flat = text
    .replace(/<!--|-->/g, "")
    .replace(/[\r\n]+/g, " ")
    .replace(/[<>[\]`|]/g, "")
    .replace(/@(\w)/g, "@\u200b$1")
    .trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

function duration(job: JobRecord, nowMs: number): string {
  const end = job.finishedAt ? Date.parse(job.finishedAt) : nowMs;
  const s = Math.max(0, Math.round((end - Date.parse(job.createdAt)) / 1000));
  return s < 120 ? `${s} s` : `${Math.round(s / 60)} min`;
}

/** Spend recorded on the job's steps (agent and gates, CI repairs included). */
function cost(job: JobRecord): string {
  const spent = spentSoFar(job.steps);
  if (spent.costUsd > 0) return `$${spent.costUsd.toFixed(2)}`;
  return spent.tokens > 0 ? `${spent.tokens.toLocaleString("en-US")} tokens` : "no LLM spend";
}

function waitingForCi(job: JobRecord): boolean {
  return job.state === "queued" && /^ci-\d+-wait$/.test(job.progress.step ?? "");
}

/** A finished job whose story did not end well, or whose PR CI left a draft: a person should look. */
function blockedReason(job: JobRecord): string | undefined {
  if (job.state === "failed") return job.outcome?.message ?? job.error?.message ?? "failed";
  if (job.state !== "succeeded") return undefined;
  const o = job.outcome;
  if (!o) return undefined;
  if (blockedKinds.has(o.kind)) return o.message;
  if (/stays a draft/.test(o.message)) return o.message;
  return undefined;
}

function row(job: JobRecord, nowMs: number, extra: string[], actions: [DashboardAction, string][]): string {
  const title = job.spec.issueTitle ? ` ${defuse(job.spec.issueTitle, 80)}` : "";
  const pr = job.outcome?.prNumber ? `, PR #${job.outcome.prNumber}` : "";
  const info = [`#${job.spec.issueNumber}${title}`, `(${job.spec.trigger}${pr}, ${cost(job)}, ${duration(job, nowMs)})`, ...extra].join(" ");
  return `- ${info}${actions.map(([a, label]) => actionBox(a, job.key, label)).join("")}`;
}

/** The latest job of each issue of one repository, newest first. */
export function latestPerIssue(jobs: JobRecord[], repoFullName: string): JobRecord[] {
  const seen = new Set<string>();
  const out: JobRecord[] = [];
  const prefix = `${repoFullName}#`.toLowerCase();
  for (const job of [...jobs].sort((a, b) => b.createdAt.localeCompare(a.createdAt))) {
    if (!job.key.toLowerCase().startsWith(prefix) || seen.has(job.key)) continue;
    seen.add(job.key);
    out.push(job);
  }
  return out;
}

export function renderDashboard(jobs: JobRecord[], nowMs = Date.now()): string {
  const running = jobs.filter((j) => j.state === "running");
  const waiting = jobs.filter(waitingForCi);
  const queued = jobs.filter((j) => j.state === "queued" && !waitingForCi(j));
  const blocked = jobs.filter((j) => blockedReason(j) !== undefined);
  const finished = jobs.filter((j) => (j.state === "succeeded" || j.state === "cancelled") && blockedReason(j) === undefined).slice(0, recentCount);
  const section = (title: string, items: string[]) => [`### ${title}`, "", ...(items.length ? items : ["_None._"]), ""];
  return [
    dashboardMarker,
    "This issue lists what autofix is doing in this repository. Tick a box to act on a job; autofix unticks it when done. Only people with the configured permission can steer jobs.",
    "",
    ...section(
      "Running",
      running.map((j) => row(j, nowMs, [`now: ${defuse(j.progress.step ?? "starting", 40)}`], [["stop", "stop"]])),
    ),
    ...section(
      "Waiting for CI",
      waiting.map((j) =>
        row(
          j,
          nowMs,
          [],
          [
            ["run-now", "check CI now"],
            ["stop", "stop"],
          ],
        ),
      ),
    ),
    ...section(
      "Queued",
      queued.map((j) =>
        row(
          j,
          nowMs,
          [],
          [
            ["run-now", "run now"],
            ["stop", "stop"],
          ],
        ),
      ),
    ),
    ...section(
      "Blocked",
      blocked.map((j) => row(j, nowMs, [`— ${defuse(blockedReason(j) ?? "")}`], [["retry", "retry"]])),
    ),
    ...section(
      "Recently finished",
      finished.map((j) =>
        row(
          j,
          nowMs,
          [`— ${j.state === "cancelled" ? "cancelled" : j.outcome?.prUrl ? `[PR](${j.outcome.prUrl})` : defuse(j.outcome?.kind ?? "done")}`],
          [["retry", "retry"]],
        ),
      ),
    ),
  ].join("\n");
}

/** Boxes ticked in `body` that were not ticked in `before` (each tick acts once). */
export function tickedActions(body: string, before: string | undefined): { action: DashboardAction; key: string }[] {
  const ticked = (text: string) => {
    const out = new Map<string, { action: DashboardAction; key: string }>();
    for (const m of text.matchAll(/- \[[xX]\][^\n]*?<!-- autofix:do:(retry|stop|run-now):([^ ]+#\d+) -->/g))
      out.set(`${m[1]}:${m[2]}`, { action: m[1] as DashboardAction, key: m[2] });
    return out;
  };
  const was = ticked(before ?? "");
  return [...ticked(body)].filter(([id]) => !was.has(id)).map(([, v]) => v);
}
