// What the dashboard's pages say about jobs in every state, rendered from job records as the store
// returns them: enterprise links, in-flight steps, failures, and outputs it cannot read.
import { describe, expect, it } from "vitest";
import type { JobRecord, StepRecord } from "../../src/jobs/types.js";
import { githubBaseUrl } from "../../src/observability/dashboard/html.js";
import { renderJobPage } from "../../src/observability/dashboard/jobPage.js";
import { renderListPage } from "../../src/observability/dashboard/listPage.js";
import { readJob } from "../../src/observability/dashboard/readJob.js";
import { redactReason } from "../../src/observability/healthz.js";
import { loadSettings } from "../../src/settings.js";
import { agentOutput, gateResults } from "../support/browser.js";

const t0 = Date.parse("2026-11-25T10:00:00Z");
const at = (seconds: number) => new Date(t0 + seconds * 1000).toISOString();

function record(steps: StepRecord[], extra: Partial<JobRecord> = {}): JobRecord {
  return {
    id: "job-42",
    key: "acme/widgets#3",
    spec: { repo: { owner: "acme", repo: "widgets" }, issueNumber: 3, trigger: "label", requestedBy: "mia", issueTitle: "Fix it" },
    state: "running",
    claims: 1,
    failures: 0,
    steps,
    progress: { step: steps.at(-1)?.name, attempt: 1 },
    createdAt: at(0),
    updatedAt: at(10),
    ...extra,
  };
}

const options = { githubBase: "https://github.com", refreshSeconds: 5 };
const lists = (job: JobRecord) => ({ queued: [], running: job.state === "running" ? [job] : [], recent: job.state === "running" ? [] : [job] });

describe("dashboard pages rendered from job records", () => {
  it("links issues and pull requests to the GitHub Enterprise host when GHE_HOST is set", () => {
    const base = githubBaseUrl(loadSettings({ GHE_HOST: "ghe.example.test/", GHE_PROTOCOL: "http" }));
    expect(base).toBe("http://ghe.example.test");
    const job = record([{ name: "publish", status: "done", startedAt: at(1), finishedAt: at(2), output: { prNumber: 8 } }], {
      state: "succeeded",
    });
    const html = renderListPage(lists(job), { ...options, githubBase: base });
    expect(html).toContain('href="http://ghe.example.test/acme/widgets/issues/3"');
    expect(html).toContain('href="http://ghe.example.test/acme/widgets/pull/8"');
    expect(githubBaseUrl(loadSettings({}))).toBe("https://github.com");
  });

  it("says a gates step in flight is gating, and times it until now", () => {
    const job = record([
      { name: "agent-1", status: "done", startedAt: at(0), finishedAt: at(65), output: agentOutput("ok") },
      { name: "gates-1", status: "running", startedAt: new Date(Date.now() - 3_000).toISOString() },
    ]);
    const list = renderListPage(lists(job), options);
    expect(list).toContain("gating…");
    expect(list).not.toContain("gates: unavailable");
    expect(list).toContain("agent-1 1 min 5 s");
    expect(readJob(job).steps[1]!.durationMs).toBeGreaterThanOrEqual(3_000);
    const page = renderJobPage(job, options);
    expect(page).toContain("Gating…");
    expect(page).toContain('http-equiv="refresh" content="5"');
  });

  it("shows a failed step's error code and message, and stops refreshing a finished job", () => {
    const job = record(
      [
        {
          name: "agent-1",
          status: "failed",
          startedAt: at(0),
          finishedAt: at(600),
          error: { code: "AGENT_TIMED_OUT", message: "The agent ran past 10 min <limit>." },
        },
      ],
      { state: "failed", error: { code: "AGENT_TIMED_OUT", message: "gave up" }, finishedAt: at(601) },
    );
    const page = renderJobPage(job, options);
    expect(page).toContain("<code>AGENT_TIMED_OUT</code> The agent ran past 10 min &lt;limit&gt;.");
    expect(page).toContain("10 min 0 s");
    expect(page).not.toContain('http-equiv="refresh"');
  });

  it("shows every attempt's agent run and gate report in order", () => {
    const job = record(
      [
        { name: "agent-1", status: "done", startedAt: at(0), finishedAt: at(1), output: agentOutput("first attempt") },
        { name: "gates-1", status: "done", startedAt: at(1), finishedAt: at(2), output: { results: gateResults("fail") } },
        { name: "agent-2", status: "done", startedAt: at(2), finishedAt: at(3), output: agentOutput("second attempt") },
        { name: "gates-2", status: "done", startedAt: at(3), finishedAt: at(4), output: { results: gateResults("pass") } },
      ],
      { state: "succeeded" },
    );
    const page = renderJobPage(job, options);
    const order = ["Agent, attempt 1", "first attempt", "Gates, attempt 1", "Agent, attempt 2", "second attempt", "Gates, attempt 2"].map((s) =>
      page.indexOf(s),
    );
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(page).toContain("The issue asks for a test of the new greeting.");
    // The list shows the newest attempt's verdicts.
    expect(renderListPage(lists(job), options)).toContain("semantic: pass");
  });

  it("reads the pipeline's own resolve and pr steps for the title and the pull request", () => {
    const job = record(
      [
        {
          name: "resolve",
          status: "done",
          startedAt: at(0),
          finishedAt: at(1),
          output: { issue: { number: 3, title: "Title <from> GitHub" }, baseBranch: "main" },
        },
        {
          name: "pr",
          status: "done",
          startedAt: at(5),
          finishedAt: at(6),
          output: { number: 12, htmlUrl: "https://github.com/acme/widgets/pull/12", created: true },
        },
      ],
      { state: "succeeded" },
    );
    job.spec = { ...job.spec, issueTitle: undefined };
    const page = renderJobPage(job, options);
    expect(page).toContain("Title &lt;from&gt; GitHub");
    expect(page).toContain('<a href="https://github.com/acme/widgets/pull/12">PR #12</a>');
    expect(renderListPage(lists(job), options)).toContain("Title &lt;from&gt; GitHub");
  });

  it("keeps the last part of a huge output tail and says how much it left out", () => {
    const huge = "x".repeat(50_000) + "THE END";
    const job = record([{ name: "agent-1", status: "done", startedAt: at(0), finishedAt: at(1), output: agentOutput(huge) }], { state: "succeeded" });
    const page = renderJobPage(job, options);
    expect(page).toContain("THE END");
    expect(page).toContain("(30007 earlier characters not shown)");
    expect(page.length).toBeLessThan(40_000);
  });

  it("survives a record with missing spec fields and non-array steps", () => {
    const broken = {
      ...record([]),
      spec: {} as JobRecord["spec"],
      steps: null as unknown as StepRecord[],
      progress: undefined as unknown as JobRecord["progress"],
    };
    expect(() => renderListPage(lists(broken), options)).not.toThrow();
    expect(renderJobPage(broken, options)).toContain("No step has started yet.");
  });

  it("keeps credentials in a store's error out of the unauthenticated health answer", () => {
    const reason = redactReason("connect ECONNREFUSED redis://default:s3cret@10.0.0.1:6379");
    expect(reason).not.toContain("s3cret");
    expect(reason).toContain("redis://***@10.0.0.1:6379");
  });
});
