// The server and every `autofix worker` keep dashboard issues; two of them opening one at the same moment
// must end with exactly one open dashboard that both keep updating.
import { describe, expect, it } from "vitest";
import { DashboardKeeper } from "../../src/app/dashboardIssue.js";
import { dashboardMarker } from "../../src/app/dashboardRender.js";
import { validateConfigObject } from "../../src/config/index.js";
import type { Forge, MarkedIssue } from "../../src/forge/index.js";
import type { JobQueue } from "../../src/jobs/index.js";

interface StoredIssue extends MarkedIssue {
  title: string;
}

/** The issue-related slice of GitHub, shared by every "process", with a slow create so both find nothing first. */
function sharedIssues() {
  const issues: StoredIssue[] = [];
  const forge = {
    async findIssueByMarker(_repo, marker) {
      return [...issues].reverse().find((i) => i.body.includes(marker));
    },
    async listIssuesByMarker(_repo, marker) {
      return [...issues].reverse().filter((i) => i.body.includes(marker));
    },
    async createIssue(_repo, issue) {
      await new Promise((r) => setTimeout(r, 30));
      const created: StoredIssue = { number: issues.length + 1, state: "open", htmlUrl: "", ...issue };
      issues.push(created);
      return created;
    },
    async updateIssue(_repo, issueNumber, fields) {
      const found = issues.find((i) => i.number === issueNumber);
      if (!found) return undefined;
      Object.assign(found, Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)));
      return found;
    },
  } as Partial<Forge> as Forge;
  return { issues, forge };
}

function keeper(forge: Forge): DashboardKeeper {
  const parsed = validateConfigObject({ dashboard: { issue: true } });
  if (!parsed.ok) throw new Error("config fixture is invalid");
  const queue = { list: async () => [] } as unknown as JobQueue;
  const quiet = { warn() {}, info() {} };
  return new DashboardKeeper({ queue, access: async () => ({ forge, config: parsed.config }), log: quiet, minIntervalMs: 0 });
}

describe("dashboard issue across processes", () => {
  it("two keepers opening the dashboard at the same moment end with one open issue, which both then update", async () => {
    const { issues, forge } = sharedIssues();
    const repo = { owner: "acme", repo: "widgets" };
    const [a, b] = [keeper(forge), keeper(forge)];
    a.touch(repo, 1);
    b.touch(repo, 1);
    await Promise.all([a.idle(), b.idle()]);

    expect(issues).toHaveLength(2); // the race happened: each opened one
    const open = issues.filter((i) => i.state === "open");
    expect(open.map((i) => i.number)).toEqual([1]);
    const closed = issues.find((i) => i.number === 2)!;
    expect(closed.state).toBe("closed");
    expect(closed.body).not.toContain(dashboardMarker);
    expect(closed.body).toContain("#1");

    // Both now keep #1: a later move redraws it and opens nothing new.
    issues[0].body = `${dashboardMarker} stale`;
    a.touch(repo, 1);
    b.touch(repo, 1);
    await Promise.all([a.idle(), b.idle()]);
    expect(issues).toHaveLength(2);
    expect(issues[0].body).not.toContain("stale");
  });
});
