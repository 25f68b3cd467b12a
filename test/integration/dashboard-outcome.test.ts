// The dashboard's badge follows what a job came to, not only that it ran to its end, and the recent
// jobs can be filtered by that outcome.
import { describe, expect, it } from "vitest";
import type { JobOutcome, JobRecord } from "../../src/jobs/types.js";
import { renderListPage } from "../../src/observability/dashboard/listPage.js";

function finished(id: string, outcome: JobOutcome): JobRecord {
  const at = "2026-11-25T10:00:00.000Z";
  return {
    id,
    key: `acme/widgets#${id}`,
    spec: { repo: { owner: "acme", repo: "widgets" }, issueNumber: Number(id), trigger: "label", requestedBy: "mia" },
    state: outcome.kind === "error" ? "failed" : outcome.kind === "cancelled" ? "cancelled" : "succeeded",
    claims: 1,
    failures: 0,
    steps: [],
    outcome,
    progress: {},
    createdAt: at,
    updatedAt: at,
    finishedAt: at,
  };
}

const options = { githubBase: "https://github.com", refreshSeconds: 5 };
const jobs = [
  finished("1", { kind: "conflict", message: "The change conflicts with main." }),
  finished("2", { kind: "pr-opened", message: "PR opened", prNumber: 9 }),
  finished("3", { kind: "guard-refused", message: "refused" }),
  finished("4", { kind: "gates-failed", message: "gates failed" }),
];

function firstCellOf(page: string, issue: string): string {
  const row = page.split("<tr>").find((r) => r.includes(`/issues/${issue}"`));
  return row!.split("</td>")[0]!;
}

describe("dashboard outcome", () => {
  it("shows a merge-conflict, a refusal and failed gates as failures, not as a green 'succeeded'", () => {
    const page = renderListPage({ queued: [], running: [], recent: jobs }, options);
    expect(firstCellOf(page, "1")).toContain('<span class="badge failed" title="job succeeded">conflict</span>');
    expect(firstCellOf(page, "3")).toContain('<span class="badge failed" title="job succeeded">refused</span>');
    expect(firstCellOf(page, "4")).toContain('<span class="badge failed" title="job succeeded">gates failed</span>');
    expect(firstCellOf(page, "2")).toContain('<span class="badge succeeded" title="job succeeded">PR opened</span>');
    for (const id of ["1", "3", "4"]) expect(firstCellOf(page, id)).not.toContain("badge succeeded");
  });

  it("filters the recent jobs by outcome and links each filter", () => {
    const page = renderListPage({ queued: [], running: [], recent: jobs }, { ...options, outcome: "conflict" });
    expect(page).toContain("Recent: conflict (1)");
    expect(page).toContain('/issues/1"');
    expect(page).not.toContain('/issues/2"');
    expect(page).toContain('href="/autofix?outcome=gates-failed"');
  });
});
