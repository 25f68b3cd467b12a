// One job's page: its step timeline, each attempt's agent output tail and gate reports (summary,
// reasons, commands, findings), and how it ended.
import type { JobRecord } from "../../jobs/index.js";
import { Html, formatCost, formatDuration, formatTime, html, page } from "./html.js";
import { issueLink, prLink, stateBadge } from "./listPage.js";
import { readJob, type AttemptAgent, type AttemptGates, type GateView } from "./readJob.js";

/** Tails are bounded by whoever saved them; this bounds the page even when they were not. */
const maxTailChars = 20_000;

export function clipTail(text: string): string {
  if (text.length <= maxTailChars) return text;
  return `… (${text.length - maxTailChars} earlier characters not shown)\n${text.slice(-maxTailChars)}`;
}

const unavailable = html`<p>
  <span class="badge unavailable">unavailable</span> <span class="muted">this step's saved output has an unexpected shape.</span>
</p>`;

function timeline(view: ReturnType<typeof readJob>): Html {
  if (view.steps.length === 0) return html`<p class="empty">No step has started yet.</p>`;
  return html`<table class="steps">
    <thead>
      <tr>
        <th>Step</th>
        <th>Status</th>
        <th>Started</th>
        <th>Duration</th>
        <th>Error</th>
      </tr>
    </thead>
    <tbody>
      ${view.steps.map(
        (s) =>
          html`<tr>
            <td data-label="Step">${s.name}</td>
            <td data-label="Status"><span class="badge ${s.status}">${s.status}</span></td>
            <td data-label="Started">${formatTime(s.startedAt)}</td>
            <td data-label="Duration">${formatDuration(s.durationMs)}</td>
            <td data-label="Error">${s.error ? html`<code>${s.error.code}</code> ${s.error.message}` : ""}</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

function list(title: string, items: string[] | undefined): Html | string {
  if (!items || items.length === 0) return "";
  return html`<h4>${title}</h4>
    <ul>
      ${items.map((i) => html`<li>${i}</li>`)}
    </ul>`;
}

function gateReport(gate: GateView): Html {
  const commands = gate.commands?.length
    ? html`<h4>Commands</h4>
        ${gate.commands.map(
          (c) =>
            html`<details>
              <summary>
                <span class="badge ${c.status}">${c.status}</span> ${c.name}: <code>${c.command}</code>
                <span class="muted">exit ${c.exitCode ?? "none"}, ${formatDuration(c.durationMs)}</span>
              </summary>
              ${c.tests?.regressed.length ? html`<p>Regressed tests: ${c.tests.regressed.join(", ")}</p>` : ""}
              <pre>${clipTail(c.outputTail)}</pre>
            </details>`,
        )}`
    : "";
  const findings = gate.findings?.length
    ? html`<h4>Findings</h4>
        <ul>
          ${gate.findings.map((f) => html`<li><span class="badge">${f.severity}</span> <code>${f.path}${f.line ? `:${f.line}` : ""}</code> ${f.text}</li>`)}
        </ul>`
    : "";
  const usage = gate.usage ? html` · ${gate.usage.inputTokens + gate.usage.outputTokens} tokens · ${formatCost(gate.usage.costUsd)}` : "";
  return html`<div class="card gate" data-gate="${gate.gate}">
    <h3><span class="badge ${gate.status}">${gate.status}</span> ${gate.gate}</h3>
    <p class="summary">${gate.summary}</p>
    <p class="muted">
      ${formatDuration(gate.durationMs)}${gate.model ? ` · ${gate.model}` : ""}${usage}${
        gate.verdict ? ` · verdict ${gate.verdict}` : ""
      }${gate.confidence !== undefined ? ` · confidence ${gate.confidence}` : ""}
    </p>
    ${list("Reasons", gate.reasons)}${commands}${findings}${list("Questions for the reviewer", gate.questions)}${list(
      "Unrelated paths",
      gate.unrelatedPaths,
    )}${list("Notes", gate.notes)}
  </div>`;
}

function gatesSection(attempt: AttemptGates): Html {
  const heading = html`<h2>Gates, attempt ${attempt.attempt}</h2>`;
  if (attempt.step.status === "running")
    return html`${heading}
      <p class="muted">Gating…</p>`;
  if (attempt.step.status === "failed") {
    return html`${heading}
      <p><span class="badge failed">failed</span> ${attempt.step.error?.message ?? ""}</p>`;
  }
  if (!attempt.gates.ok) return html`${heading}${unavailable}`;
  if (attempt.gates.value.length === 0)
    return html`${heading}
      <p class="empty">No gate reported.</p>`;
  return html`${heading}${attempt.gates.value.map(gateReport)}`;
}

function agentSection(attempt: AttemptAgent): Html {
  const heading = html`<h2>Agent, attempt ${attempt.attempt}</h2>`;
  if (attempt.step.status === "running")
    return html`${heading}
      <p class="muted">The agent is working…</p>`;
  if (attempt.step.status === "failed") {
    return html`${heading}
      <p><span class="badge failed">failed</span> ${attempt.step.error?.message ?? ""}</p>`;
  }
  if (!attempt.agent.ok) return html`${heading}${unavailable}`;
  const a = attempt.agent.value;
  const usage = a.usage ? html` · ${a.usage.inputTokens} in / ${a.usage.outputTokens} out tokens · ${formatCost(a.usage.costUsd)}` : "";
  return html`${heading}
    <div class="card agent">
      <p>
        <strong>${a.agent}</strong> · exit ${a.exitCode ?? "none"}${a.timedOut ? " · timed out" : ""} ·
        ${formatDuration(a.durationMs)}${usage}${a.isolation ? ` · ${a.isolation}` : ""}
      </p>
      ${a.stopReason ? html`<p>Stopped: ${a.stopReason}</p>` : ""} ${a.summary ? html`<p>${a.summary}</p>` : ""} ${list("Refused edits", a.permissionDenials)}
      <h4>Output tail</h4>
      <pre class="output-tail">${clipTail(a.outputTail)}</pre>
    </div>`;
}

function publishSection(view: ReturnType<typeof readJob>, githubBase: string, job: JobRecord): Html | string {
  const publish = view.publish;
  if (!publish) return "";
  const heading = html`<h2>Publish</h2>`;
  if (publish.step.status === "running")
    return html`${heading}
      <p class="muted">Publishing…</p>`;
  if (publish.step.status === "failed") {
    return html`${heading}
      <p><span class="badge failed">failed</span> ${publish.step.error?.message ?? ""}</p>`;
  }
  if (!publish.output.ok) return html`${heading}${unavailable}`;
  return html`${heading}
    <p class="publish">${prLink(githubBase, job, view) || "No pull request was opened."}</p>`;
}

export function renderJobPage(job: JobRecord, options: { githubBase: string; refreshSeconds: number }): string {
  const view = readJob(job);
  const progress = job.progress ?? {};
  const finished = job.state !== "queued" && job.state !== "running";
  const attempts = new Set([...view.agentByAttempt, ...view.gatesByAttempt].map((a) => a.attempt));
  const perAttempt = [...attempts]
    .sort((a, b) => a - b)
    .flatMap((n) => [
      ...view.agentByAttempt.filter((a) => a.attempt === n).map(agentSection),
      ...view.gatesByAttempt.filter((g) => g.attempt === n).map(gatesSection),
    ]);
  const body = html`<p><a href="/autofix">← all jobs</a></p>
    <h1>${stateBadge(job)} ${view.issueTitle ?? "Job"}</h1>
    <div class="card">
      <p>
        ${issueLink(options.githubBase, job)} · requested by ${job.spec?.requestedBy ?? "–"} (${job.spec?.trigger ?? "–"}) ·
        ${prLink(options.githubBase, job, view)}
      </p>
      <p class="muted">
        Job <code>${job.id}</code> · created ${formatTime(job.createdAt)}${job.finishedAt ? ` · finished ${formatTime(job.finishedAt)}` : ""} · claims
        ${job.claims} · failures ${job.failures}
      </p>
      <p>Step: ${progress.step ?? "–"} · attempt ${progress.attempt ?? "–"} · tokens ${progress.tokens ?? "–"} · cost ${formatCost(progress.costUsd)}</p>
      ${job.outcome ? html`<p class="outcome"><span class="badge">${job.outcome.kind}</span> ${job.outcome.message}</p>` : ""}
      ${job.error ? html`<p><span class="badge error">${job.error.code}</span> ${job.error.message}</p>` : ""}
      ${job.cancelReason ? html`<p>Cancelled: ${job.cancelReason}</p>` : ""}
    </div>
    <h2>Steps</h2>
    ${timeline(view)} ${perAttempt}${publishSection(view, options.githubBase, job)}`;
  return page({
    title: `autofix job ${job.id}`,
    body,
    refreshSeconds: finished ? undefined : options.refreshSeconds,
    signedIn: true,
  });
}
