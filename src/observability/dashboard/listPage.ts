// The dashboard's front page: queued, running and recent jobs, one row each (cards on a phone).
import type { JobRecord, OutcomeKind } from "../../jobs/index.js";
import { Html, formatCost, formatDuration, formatTime, html, page, repoUrl } from "./html.js";
import { latestGates, readJob, type JobView } from "./readJob.js";

export interface JobLists {
  queued: JobRecord[];
  running: JobRecord[];
  recent: JobRecord[];
}

export function jobPath(job: JobRecord): string {
  return `/autofix/jobs/${encodeURIComponent(job.id)}`;
}

export function issueLink(base: string, job: JobRecord): Html {
  const repo = job.spec?.repo;
  if (!repo) return html`<span class="unavailable badge">unavailable</span>`;
  const issue = `${repoUrl(base, repo)}/issues/${encodeURIComponent(String(job.spec.issueNumber))}`;
  return html`<a href="${repoUrl(base, repo)}">${repo.owner}/${repo.repo}</a> <a href="${issue}">#${job.spec.issueNumber}</a>`;
}

export function prLink(base: string, job: JobRecord, view: JobView): Html | string {
  const repo = job.spec?.repo;
  const url = view.prUrl ?? (view.prNumber && repo ? `${repoUrl(base, repo)}/pull/${view.prNumber}` : undefined);
  if (!url) return "";
  return html`<a href="${url}">PR${view.prNumber ? ` #${view.prNumber}` : ""}</a>`;
}

/**
 * What each outcome looks like: a job the queue calls "succeeded" only ran to its end; whether it did
 * what was asked is its outcome (a conflict, a refusal or failed gates is not a green badge).
 */
const outcomeBadges: Record<OutcomeKind, { label: string; tone: "succeeded" | "failed" | "skipped" }> = {
  "pr-opened": { label: "PR opened", tone: "succeeded" },
  "pr-updated": { label: "PR updated", tone: "succeeded" },
  "dry-run-passed": { label: "dry run passed", tone: "succeeded" },
  "gates-failed": { label: "gates failed", tone: "failed" },
  "guard-refused": { label: "refused", tone: "failed" },
  conflict: { label: "conflict", tone: "failed" },
  "limit-reached": { label: "limit reached", tone: "failed" },
  "config-invalid": { label: "config invalid", tone: "failed" },
  error: { label: "failed", tone: "failed" },
  "no-change": { label: "no change", tone: "skipped" },
  cancelled: { label: "cancelled", tone: "skipped" },
};

export const outcomeKinds = Object.keys(outcomeBadges) as OutcomeKind[];

export function stateBadge(job: JobRecord): Html {
  const badge = job.outcome ? outcomeBadges[job.outcome.kind] : undefined;
  if (!badge) return html`<span class="badge ${job.state}">${job.state}</span>`;
  return html`<span class="badge ${badge.tone}" title="job ${job.state}">${badge.label}</span>`;
}

export function gateBadges(view: JobView): Html {
  const latest = latestGates(view);
  if (!latest) return html`<span class="muted">–</span>`;
  if (latest.step.status === "running") return html`<span class="badge running">gating…</span>`;
  if (!latest.gates.ok) return html`<span class="badge unavailable">gates: unavailable</span>`;
  return html`${latest.gates.value.map((g) => html`<span class="badge ${g.status}" title="${g.summary}">${g.gate}: ${g.status}</span>`)}`;
}

function stepDurations(view: JobView): Html {
  if (view.steps.length === 0) return html`<span class="muted">–</span>`;
  return html`${view.steps.map((s) => html`<span class="badge ${s.status}">${s.name} ${formatDuration(s.durationMs)}</span>`)}`;
}

function row(base: string, job: JobRecord, now: Date): Html {
  const view = readJob(job, now);
  const progress = job.progress ?? {};
  const title = view.issueTitle;
  return html`<tr>
    <td data-label="Job">${stateBadge(job)} <a href="${jobPath(job)}">details</a><br /><span class="muted">${formatTime(job.createdAt)}</span></td>
    <td data-label="Issue">${issueLink(base, job)}${title ? html`<br /><span class="issue-title">${title}</span>` : ""}</td>
    <td data-label="Requested by">${job.spec?.requestedBy ?? "–"}<br /><span class="muted">${job.spec?.trigger ?? ""}</span></td>
    <td data-label="Step">
      ${progress.step ?? view.steps.findLast((s) => s.status === "running")?.name ?? "–"}${progress.attempt ? html`<br /><span class="muted">attempt ${progress.attempt}</span>` : ""}
    </td>
    <td data-label="Gates">${gateBadges(view)}</td>
    <td data-label="Durations">${stepDurations(view)}</td>
    <td data-label="Tokens / cost">${progress.tokens ?? "–"} / ${formatCost(progress.costUsd)}</td>
    <td data-label="Result">${job.outcome ? html`<span class="badge">${job.outcome.kind}</span> ` : ""}${prLink(base, job, view)}</td>
  </tr>`;
}

function section(title: string, id: string, jobs: JobRecord[], base: string, now: Date, capped = false): Html {
  if (jobs.length === 0) {
    return html`<h2 id="${id}">${title} (0)</h2>
      <p class="empty">None.</p>`;
  }
  return html`<h2 id="${id}">${title} (${jobs.length}${capped ? "+" : ""})</h2>
    <table>
      <thead>
        <tr>
          <th>Job</th>
          <th>Issue</th>
          <th>Requested by</th>
          <th>Step</th>
          <th>Gates</th>
          <th>Durations</th>
          <th>Tokens / cost</th>
          <th>Result</th>
        </tr>
      </thead>
      <tbody>
        ${jobs.map((job) => row(base, job, now))}
      </tbody>
    </table>`;
}

/** Links that filter the recent jobs by outcome (`?outcome=conflict`), the current one marked. */
function outcomeFilter(current: OutcomeKind | undefined): Html {
  const link = (kind: OutcomeKind | undefined, label: string) =>
    kind === current ? html`<strong>${label}</strong>` : html`<a href="${kind ? `/autofix?outcome=${kind}` : "/autofix"}">${label}</a>`;
  return html`<p class="muted">Outcome: ${link(undefined, "all")} ${outcomeKinds.map((k) => html`· ${link(k, outcomeBadges[k].label)} `)}</p>`;
}

export function renderListPage(lists: JobLists, options: { githubBase: string; refreshSeconds: number; listLimit?: number; outcome?: OutcomeKind }): string {
  const capped = (jobs: JobRecord[]) => options.listLimit !== undefined && jobs.length >= options.listLimit;
  const now = new Date();
  const recent = options.outcome ? lists.recent.filter((j) => j.outcome?.kind === options.outcome) : lists.recent;
  const recentTitle = options.outcome ? `Recent: ${outcomeBadges[options.outcome].label}` : "Recent";
  const body = html`<h1>Jobs</h1>
    <p class="muted">Updated ${formatTime(now.toISOString())}; this page reloads every ${options.refreshSeconds} s.</p>
    ${section("Running", "running", lists.running, options.githubBase, now, capped(lists.running))}
    ${section("Queued", "queued", lists.queued, options.githubBase, now, capped(lists.queued))} ${outcomeFilter(options.outcome)}
    ${section(recentTitle, "recent", recent, options.githubBase, now)}`;
  return page({ title: "autofix jobs", body, refreshSeconds: options.refreshSeconds, signedIn: true });
}
