// The repository's own CI on FakeGitHub: check runs (by GitHub Actions or another app), check suites,
// commit statuses, workflow runs, annotations and Actions job logs, plus GraphQL's "ready for review"
// and the issues endpoints the dashboard uses. Tests decide when and how each check finishes.
import type { FakeGitHub } from "./githubApi.js";

type Route = (m: RegExpMatchArray, body: any, url: URL) => { status: number; body?: unknown; headers?: Record<string, string> };

export interface FakeCiRun {
  id: number;
  name: string;
  head_sha: string;
  status: string;
  conclusion: string | null;
  app: { id: number; slug: string; name: string };
  check_suite: { id: number; head_branch?: string };
  html_url: string;
  output: { title: string | null; summary: string | null; text: string | null };
  repo: string;
  annotations: { path: string; start_line: number; end_line: number; annotation_level: string; message: string; title?: string }[];
  log?: string;
  steps?: { name: string; number: number; status: string; conclusion: string | null }[];
}

export interface FakeCi {
  /** Checks started on every commit the bot asks about (in progress until `finish`), as a workflow on push would. */
  autoStart(names: string[]): void;
  /** Called once for each commit the first time the bot lists its check runs (to set up suites or statuses). */
  onCommit(fn: (sha: string) => void): void;
  /** A check run in progress on a commit. */
  start(sha: string, name: string): FakeCiRun;
  /** Create or finish a check run on a commit. */
  finish(
    sha: string,
    name: string,
    conclusion: string,
    opts?: { summary?: string; log?: string; failedStep?: string; annotations?: FakeCiRun["annotations"] },
  ): FakeCiRun;
  /** A check suite of GitHub Actions with no run (a workflow waiting for approval: action_required). */
  suite(sha: string, suite: { status: string; conclusion: string | null; runCount?: number; workflow?: string }): void;
  status(sha: string, context: string, state: "pending" | "success" | "failure" | "error", description?: string): void;
  runsOf(sha: string): FakeCiRun[];
  /** Log and job requests the bot made (to show it read the failing job's log). */
  readonly logReads: number[];
}

export function installFakeCi(fake: FakeGitHub, full: string): FakeCi {
  const on = (fake as unknown as { on(method: string, pattern: RegExp, handler: Route): void }).on.bind(fake);
  let nextId = 90_000;
  const runs = fake.checkRuns as FakeCiRun[];
  const suites: {
    id: number;
    sha: string;
    app: { slug: string };
    status: string;
    conclusion: string | null;
    latest_check_runs_count: number;
    workflow?: string;
  }[] = [];
  const statuses: { sha: string; context: string; state: string; description: string | null; target_url: string | null }[] = [];
  const started: string[] = [];
  const logReads: number[] = [];
  const hooks: ((sha: string) => void)[] = [];
  const seen = new Set<string>();
  const actionsApp = { id: 15368, slug: "github-actions", name: "GitHub Actions" };
  const suiteFor = (sha: string) => {
    let s = suites.find((x) => x.sha === sha && x.app.slug === "github-actions" && x.latest_check_runs_count > 0);
    if (!s) {
      s = { id: nextId++, sha, app: { slug: "github-actions" }, status: "in_progress", conclusion: null, latest_check_runs_count: 1, workflow: "CI" };
      suites.push(s);
    }
    return s;
  };
  const makeRun = (sha: string, name: string): FakeCiRun => {
    const id = nextId++;
    const run: FakeCiRun = {
      id,
      name,
      head_sha: sha,
      status: "in_progress",
      conclusion: null,
      app: actionsApp,
      check_suite: { id: suiteFor(sha).id },
      html_url: `https://github.com/${full}/actions/runs/1/job/${id}`,
      output: { title: null, summary: null, text: null },
      repo: full,
      annotations: [],
    };
    runs.push(run);
    return run;
  };
  const ownRun = (sha: string, name: string) => runs.find((r) => r.head_sha === sha && r.name === name && r.app.slug === "github-actions");

  // Listing a commit's check runs is where a push's workflows "start" (the first time the bot looks).
  on("GET", /^\/repos\/([^/]+)\/([^/]+)\/commits\/([^/]+)\/check-runs$/, (m, _b, url) => {
    if (!seen.has(m[3])) {
      seen.add(m[3]);
      for (const hook of hooks) hook(m[3]);
    }
    for (const name of started) if (!ownRun(m[3], name)) makeRun(m[3], name);
    const only = url.searchParams.get("check_name");
    const list = runs.filter((r) => r.repo === `${m[1]}/${m[2]}` && r.head_sha === m[3] && (!only || r.name === only));
    return { status: 200, body: { total_count: list.length, check_runs: list.map(({ annotations: _a, log: _l, steps: _s, ...r }) => r) } };
  });
  on("GET", /^\/repos\/([^/]+)\/([^/]+)\/commits\/([^/]+)\/check-suites$/, (m) => {
    const list = suites.filter((s) => s.sha === m[3]).map(({ sha, workflow: _w, ...s }) => ({ ...s, head_sha: sha }));
    return { status: 200, body: { total_count: list.length, check_suites: list } };
  });
  on("GET", /^\/repos\/([^/]+)\/([^/]+)\/commits\/([^/]+)\/status$/, (m) => {
    const list = statuses.filter((s) => s.sha === m[3]).map(({ sha: _s, ...s }) => s);
    const state = list.some((s) => s.state === "failure" || s.state === "error") ? "failure" : list.some((s) => s.state === "pending") ? "pending" : "success";
    return { status: 200, body: { state, sha: m[3], total_count: list.length, statuses: list } };
  });
  on("GET", /^\/repos\/([^/]+)\/([^/]+)\/actions\/runs$/, (_m, _b, url) => {
    const sha = url.searchParams.get("head_sha");
    const list = suites
      .filter((s) => s.sha === sha && s.workflow)
      .map((s) => ({ id: s.id + 1, name: s.workflow, check_suite_id: s.id, status: s.status, conclusion: s.conclusion, head_sha: sha }));
    return { status: 200, body: { total_count: list.length, workflow_runs: list } };
  });
  on("GET", /^\/repos\/([^/]+)\/([^/]+)\/check-runs\/(\d+)\/annotations$/, (m) => ({
    status: 200,
    body: runs.find((r) => r.id === Number(m[3]))?.annotations ?? [],
  }));
  on("GET", /^\/repos\/([^/]+)\/([^/]+)\/actions\/jobs\/(\d+)\/logs$/, (m) => {
    const run = runs.find((r) => r.id === Number(m[3]));
    logReads.push(Number(m[3]));
    return run?.log ? { status: 200, body: run.log, headers: { "content-type": "text/plain" } } : { status: 404, body: { message: "Not Found" } };
  });
  on("GET", /^\/repos\/([^/]+)\/([^/]+)\/actions\/jobs\/(\d+)$/, (m) => {
    const run = runs.find((r) => r.id === Number(m[3]));
    return run
      ? { status: 200, body: { id: run.id, name: run.name, status: run.status, conclusion: run.conclusion, steps: run.steps ?? [] } }
      : { status: 404, body: { message: "Not Found" } };
  });
  // GitHub Enterprise Server answers GraphQL at /api/graphql, beside the REST API at /api/v3.
  on("POST", /^(\/api)?\/graphql$/, (_m, body) => {
    const pr = fake.pulls.find((p) => p.node_id === body?.variables?.id);
    if (!pr) return { status: 200, body: { errors: [{ message: "Could not resolve to a node" }] } };
    if (/markPullRequestReadyForReview/.test(body.query)) pr.draft = false;
    if (/convertPullRequestToDraft/.test(body.query)) pr.draft = true;
    return { status: 200, body: { data: { pr: { pullRequest: { isDraft: pr.draft } } } } };
  });

  return {
    logReads,
    autoStart(names) {
      started.push(...names);
    },
    onCommit(fn) {
      hooks.push(fn);
    },
    start: (sha, name) => ownRun(sha, name) ?? makeRun(sha, name),
    finish(sha, name, conclusion, opts = {}) {
      const run = ownRun(sha, name) ?? makeRun(sha, name);
      run.status = "completed";
      run.conclusion = conclusion;
      run.output = { title: conclusion === "success" ? "Passed" : "Failed", summary: opts.summary ?? null, text: null };
      run.annotations = opts.annotations ?? [];
      if (opts.log !== undefined) run.log = opts.log;
      run.steps = [
        { name: "Set up job", number: 1, status: "completed", conclusion: "success" },
        { name: opts.failedStep ?? "Run tests", number: 2, status: "completed", conclusion },
      ];
      const suite = suites.find((s) => s.id === run.check_suite.id);
      if (suite && runs.filter((r) => r.check_suite?.id === suite.id).every((r) => r.status === "completed")) {
        suite.status = "completed";
        suite.conclusion = runs.filter((r) => r.check_suite?.id === suite.id).some((r) => r.conclusion === "failure") ? "failure" : "success";
      }
      return run;
    },
    suite(sha, s) {
      suites.push({
        id: nextId++,
        sha,
        app: { slug: "github-actions" },
        status: s.status,
        conclusion: s.conclusion,
        latest_check_runs_count: s.runCount ?? 0,
        workflow: s.workflow,
      });
    },
    status(sha, context, state, description) {
      const existing = statuses.find((s) => s.sha === sha && s.context === context);
      if (existing) Object.assign(existing, { state, description: description ?? null });
      else statuses.push({ sha, context, state, description: description ?? null, target_url: null });
    },
    runsOf: (sha) => runs.filter((r) => r.head_sha === sha),
  };
}

export interface FakeIssues {
  /** Issues the bot opened through the API, in order. */
  readonly created: number[];
  /** Deletes an issue as an admin would: it answers 410 Gone afterwards. */
  remove(number: number): void;
  bodyOf(number: number): string;
  /** A person edits the issue's body (returns the previous body, for the webhook's `changes`). */
  edit(number: number, body: string): string;
}

/** The issues endpoints the dashboard issue uses: list all (with bodies), open, edit, and a deleted issue's 410. */
export function installFakeIssues(fake: FakeGitHub, full: string): FakeIssues {
  const on = (fake as unknown as { on(method: string, pattern: RegExp, handler: Route): void }).on.bind(fake);
  const created: number[] = [];
  const deleted = new Set<number>();
  const key = (n: number | string) => `${full}#${n}`;
  on("GET", /^\/repos\/([^/]+)\/([^/]+)\/issues$/, (_m, _b, url) => {
    const label = url.searchParams.get("labels");
    const state = url.searchParams.get("state") ?? "open";
    const all = [...fake.issues.entries()].filter(([k]) => k.startsWith(`${full}#`)).map(([, i]) => i);
    const list = all
      .filter((i) => (state === "all" || i.state === state) && (!label || i.labels.some((l) => l.name === label)))
      .sort((a, b) => b.number - a.number);
    return { status: 200, body: list };
  });
  on("POST", /^\/repos\/([^/]+)\/([^/]+)\/issues$/, (_m, body) => {
    const numbers = [...fake.issues.keys()].filter((k) => k.startsWith(`${full}#`)).map((k) => Number(k.split("#")[1]));
    const number = Math.max(0, ...numbers, ...fake.pullsOf(full).map((p) => p.number), ...deleted) + 1;
    fake.addIssue(full, { number, title: body.title, body: body.body, author: fake.botLogin });
    const issue = fake.issues.get(key(number))!;
    (issue as any).user = { login: fake.botLogin, id: 1, type: "Bot" };
    created.push(number);
    return { status: 201, body: issue };
  });
  on("PATCH", /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)$/, (m, body) => {
    if (deleted.has(Number(m[3]))) return { status: 410, body: { message: "This issue was deleted" } };
    const issue = fake.issues.get(key(m[3])) as any;
    if (!issue) return { status: 404, body: { message: "Not Found" } };
    for (const f of ["title", "body", "state"]) if (body[f] !== undefined) issue[f] = body[f];
    return { status: 200, body: issue };
  });
  return {
    created,
    remove(n) {
      deleted.add(n);
      fake.issues.delete(key(n));
    },
    bodyOf: (n) => (fake.issues.get(key(n)) as any)?.body ?? "",
    edit(n, body) {
      const issue = fake.issues.get(key(n)) as any;
      const before = issue.body;
      issue.body = body;
      return before;
    },
  };
}
