// nock helpers for GitHub's REST API: one-shot mocks for single calls, and FakeGitHub, a small
// in-memory GitHub that answers issues, comments, PRs, check runs, reactions, reviews and labels
// realistically (create → list shows it, edits in place, PR lookup by head) for e2e assertions.
import { generateKeyPairSync } from "node:crypto";
import nock from "nock";

export const defaultApi = "https://api.github.com";

/** A throw-away RSA key for a GitHub App in tests (Probot signs its JWT with it). */
export function testPrivateKey(): string {
  return generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs1", format: "pem" }).toString();
}

export function mockInstallationToken(installationId: number, token: string, baseUrl = defaultApi): nock.Scope {
  return nock(baseUrl)
    .post(`/app/installations/${installationId}/access_tokens`)
    .reply(201, {
      token,
      expires_at: new Date(Date.now() + 3_600_000).toISOString(),
      permissions: { issues: "write", pull_requests: "write", contents: "write", checks: "write", metadata: "read" },
      repository_selection: "all",
    });
}

export function repoPayload(owner: string, repo: string, opts: { defaultBranch?: string; cloneUrl?: string; private?: boolean; baseUrl?: string } = {}) {
  const web = (opts.baseUrl ?? defaultApi).replace(/\/api\/v3\/?$/, "").replace("://api.", "://");
  return {
    id: 1296269,
    node_id: "MDEwOlJlcG9zaXRvcnkxMjk2MjY5",
    name: repo,
    full_name: `${owner}/${repo}`,
    owner: { login: owner, id: 1, type: "Organization" },
    private: opts.private ?? false,
    html_url: `${web}/${owner}/${repo}`,
    clone_url: opts.cloneUrl ?? `${web}/${owner}/${repo}.git`,
    default_branch: opts.defaultBranch ?? "main",
  };
}

export function mockRepo(owner: string, repo: string, opts: Parameters<typeof repoPayload>[2] = {}): nock.Scope {
  return nock(opts.baseUrl ?? defaultApi)
    .get(`/repos/${owner}/${repo}`)
    .reply(200, repoPayload(owner, repo, opts));
}

export function userPayload(login: string) {
  return { login, id: login.length * 1000 + login.charCodeAt(0), type: login.endsWith("[bot]") ? "Bot" : "User" };
}

export function mockIssue(
  owner: string,
  repo: string,
  issue: { number: number; title: string; body?: string; author?: string; labels?: string[]; comments?: { id: number; author: string; body: string }[] },
  baseUrl = defaultApi,
): nock.Scope {
  return nock(baseUrl)
    .get(`/repos/${owner}/${repo}/issues/${issue.number}`)
    .reply(200, issuePayload(owner, repo, issue))
    .get(`/repos/${owner}/${repo}/issues/${issue.number}/comments`)
    .query(true)
    .reply(
      200,
      (issue.comments ?? []).map((c) => commentPayload(owner, repo, issue.number, c)),
    );
}

export function issuePayload(
  owner: string,
  repo: string,
  issue: { number: number; title: string; body?: string; author?: string; labels?: string[]; state?: string },
) {
  return {
    id: 1000 + issue.number,
    number: issue.number,
    title: issue.title,
    body: issue.body ?? null,
    state: issue.state ?? "open",
    user: userPayload(issue.author ?? "octocat"),
    labels: (issue.labels ?? []).map((name, i) => ({ id: i + 1, name, color: "ededed" })),
    html_url: `https://github.com/${owner}/${repo}/issues/${issue.number}`,
  };
}

export function commentPayload(owner: string, repo: string, issueNumber: number, c: { id: number; author: string; body: string; createdAt?: string }) {
  return {
    id: c.id,
    node_id: `IC_${c.id}`,
    html_url: `https://github.com/${owner}/${repo}/issues/${issueNumber}#issuecomment-${c.id}`,
    issue_url: `https://api.github.com/repos/${owner}/${repo}/issues/${issueNumber}`,
    body: c.body,
    user: userPayload(c.author),
    created_at: c.createdAt ?? "2026-11-25T10:00:00Z",
    updated_at: c.createdAt ?? "2026-11-25T10:00:00Z",
    author_association: "MEMBER",
  };
}

const roleFlags = {
  read: { pull: true, triage: false, push: false, maintain: false, admin: false },
  triage: { pull: true, triage: true, push: false, maintain: false, admin: false },
  write: { pull: true, triage: true, push: true, maintain: false, admin: false },
  maintain: { pull: true, triage: true, push: true, maintain: true, admin: false },
  admin: { pull: true, triage: true, push: true, maintain: true, admin: true },
} as const;
const legacyPermission = { read: "read", triage: "read", write: "write", maintain: "write", admin: "admin" } as const;

/** The permission endpoint's real shape: legacy `permission`, precise `role_name`, and the user's flags. */
export function permissionPayload(user: string, level: keyof typeof roleFlags | "none") {
  if (level === "none")
    return {
      permission: "none",
      role_name: "none",
      user: { ...userPayload(user), permissions: { pull: false, triage: false, push: false, maintain: false, admin: false }, role_name: "none" },
    };
  return { permission: legacyPermission[level], role_name: level, user: { ...userPayload(user), permissions: roleFlags[level], role_name: level } };
}

export function mockPermission(owner: string, repo: string, user: string, level: keyof typeof roleFlags | "none", baseUrl = defaultApi): nock.Scope {
  return nock(baseUrl).get(`/repos/${owner}/${repo}/collaborators/${user}/permission`).reply(200, permissionPayload(user, level));
}

type Level = keyof typeof roleFlags;
interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}
type Handler = (match: RegExpMatchArray, body: any, url: URL, headers: Headers) => Reply;

/**
 * An in-memory GitHub for one or more repositories. `start()` installs persisted, optional nock
 * interceptors on `baseUrl`; a request no route answers is recorded in `unexpected` (assert it stays empty).
 */
export class FakeGitHub {
  readonly requests: { method: string; path: string; body: unknown }[] = [];
  readonly unexpected: string[] = [];
  readonly repos = new Map<string, ReturnType<typeof repoPayload>>();
  readonly issues = new Map<string, ReturnType<typeof issuePayload> & { labels: { id: number; name: string; color: string }[] }>();
  readonly comments: (ReturnType<typeof commentPayload> & { repo: string; issueNumber: number })[] = [];
  readonly reactions: { repo: string; target: string; content: string; user: string }[] = [];
  readonly pulls: any[] = [];
  readonly checkRuns: any[] = [];
  readonly reviews: any[] = [];
  readonly refs = new Map<string, string>();
  readonly permissions = new Map<string, Level | "none">();
  readonly tokensIssued: number[] = [];
  private nextId = 5000;
  private readonly interceptors: nock.Interceptor[] = [];
  private readonly routes: [string, RegExp, Handler][] = [];

  readonly files = new Map<string, string>();
  /** `owner/repo:branch` of every branch deleted through the API. */
  readonly deletedBranches: string[] = [];
  private defining = true;

  constructor(
    readonly opts: {
      baseUrl?: string;
      botLogin?: string;
      appId?: number;
      appSlug?: string;
      token?: string;
      /** Where branches live when they are pushed for real (e.g. read the loopback git server's bare repo). */
      resolveRef?: (fullName: string, branch: string) => string | undefined;
      /** A PR's files as GitHub lists them ({ filename, status, patch? }), e.g. computed with git from the bare repo. */
      prFiles?: (fullName: string, pr: { number: number; baseRef: string; headRef: string }) => unknown[];
      /** A PR's commits as GitHub lists them ({ sha, author: { login } | null, commit: { author: { email } } }). */
      prCommits?: (fullName: string, pr: { number: number; baseRef: string; headRef: string }) => unknown[];
    } = {},
  ) {
    this.defineRoutes();
    this.defining = false;
  }

  /** A branch's sha: set with setBranch, or found through opts.resolveRef. */
  refOf(fullName: string, branch: string): string | undefined {
    if (this.deletedBranches.includes(`${fullName}:${branch}`)) return undefined;
    return this.refs.get(`${fullName}:${branch}`) ?? this.opts.resolveRef?.(fullName, branch);
  }

  /** A file served by the contents API (raw or base64 JSON, as asked), e.g. `.github/autofix.yml`. */
  setFile(fullName: string, path: string, content: string, ref?: string): this {
    this.files.set(`${fullName}:${path}${ref ? `@${ref}` : ""}`, content);
    return this;
  }

  get baseUrl(): string {
    return this.opts.baseUrl ?? defaultApi;
  }
  get botLogin(): string {
    return this.opts.botLogin ?? `${this.appSlug}[bot]`;
  }
  get appSlug(): string {
    return this.opts.appSlug ?? "autofix";
  }

  addRepo(owner: string, repo: string, opts: Parameters<typeof repoPayload>[2] = {}): this {
    this.repos.set(`${owner}/${repo}`, repoPayload(owner, repo, { baseUrl: this.baseUrl, ...opts }));
    return this;
  }
  addIssue(fullName: string, issue: Parameters<typeof issuePayload>[2]): this {
    const [owner, repo] = fullName.split("/");
    this.issues.set(`${fullName}#${issue.number}`, issuePayload(owner, repo, issue));
    return this;
  }
  addComment(fullName: string, issueNumber: number, author: string, body: string): number {
    const [owner, repo] = fullName.split("/");
    const id = this.nextId++;
    this.comments.push({ ...commentPayload(owner, repo, issueNumber, { id, author, body }), repo: fullName, issueNumber });
    return id;
  }
  setPermission(fullName: string, user: string, level: Level | "none"): this {
    this.permissions.set(`${fullName}:${user}`, level);
    return this;
  }
  setBranch(fullName: string, branch: string, sha: string): this {
    const deleted = this.deletedBranches.indexOf(`${fullName}:${branch}`);
    if (deleted >= 0) this.deletedBranches.splice(deleted, 1);
    this.refs.set(`${fullName}:${branch}`, sha);
    return this;
  }

  /** The PRs of a repository (all states), e.g. to assert "exactly one PR". */
  pullsOf(fullName: string): any[] {
    return this.pulls.filter((p) => p.base.repo.full_name === fullName);
  }
  commentsOn(fullName: string, issueNumber: number) {
    return this.comments.filter((c) => c.repo === fullName && c.issueNumber === issueNumber);
  }

  /** Holds a request before it is answered while the returned promise is pending (e.g. a slow config read). */
  hold?: (method: string, path: string) => Promise<unknown> | undefined;

  start(): this {
    const answer = async (method: string, req: Request): Promise<[number, unknown, Record<string, string>]> => {
      const url = new URL(req.url);
      await this.hold?.(method, decodeURIComponent(url.pathname));
      const text = method === "GET" ? "" : await req.text();
      const body = text ? JSON.parse(text) : undefined;
      const path = url.pathname.replace(new URL(this.baseUrl).pathname.replace(/\/$/, ""), "");
      this.requests.push({ method, path: decodeURIComponent(path), body });
      for (const [routeMethod, pattern, handler] of this.routes) {
        const match = routeMethod === method ? decodeURIComponent(path).match(pattern) : null;
        if (match) {
          const reply = handler(match, body, url, req.headers);
          return [reply.status, reply.body ?? "", reply.headers ?? {}];
        }
      }
      this.unexpected.push(`${method} ${path}`);
      return [404, { message: "Not Found (FakeGitHub has no route for this)" }, {}];
    };
    const scope = nock(new URL(this.baseUrl).origin).persist();
    for (const method of ["GET", "POST", "PATCH", "PUT", "DELETE"] as const) {
      const interceptor = scope.intercept(/.*/, method).query(true).optionally();
      this.interceptors.push(interceptor);
      interceptor.reply((req: Request) => answer(method, req) as never);
    }
    return this;
  }

  /** Removes only this fake's interceptors (other scopes of the test stay in place). */
  stop(): void {
    for (const interceptor of this.interceptors.splice(0)) nock.removeInterceptor(interceptor);
  }

  /** Adds a route; routes added by a test take precedence over the built-in ones. */
  on(method: string, pattern: RegExp, handler: Handler): this {
    if (this.defining) this.routes.push([method, pattern, handler]);
    else this.routes.unshift([method, pattern, handler]);
    return this;
  }

  private page(items: unknown[], url: URL): Reply {
    const perPage = Number(url.searchParams.get("per_page") ?? 30);
    const page = Number(url.searchParams.get("page") ?? 1);
    const last = Math.max(1, Math.ceil(items.length / perPage));
    const link = (p: number) => {
      const u = new URL(url);
      u.searchParams.set("page", String(p));
      return u.toString();
    };
    const links = page < last ? [`<${link(page + 1)}>; rel="next"`, `<${link(last)}>; rel="last"`] : [];
    return { status: 200, body: items.slice((page - 1) * perPage, page * perPage), headers: links.length ? { link: links.join(", ") } : {} };
  }

  private issue(owner: string, repo: string, n: string) {
    return this.issues.get(`${owner}/${repo}#${n}`);
  }

  private defineRoutes(): void {
    const R = "/repos/([^/]+)/([^/]+)";
    const bot = () => ({ ...userPayload(this.botLogin), type: "Bot" });
    this.on("POST", /^\/app\/installations\/(\d+)\/access_tokens$/, (m) => {
      this.tokensIssued.push(Number(m[1]));
      return { status: 201, body: { token: this.opts.token ?? "ghs_faketoken", expires_at: new Date(Date.now() + 3_600_000).toISOString(), permissions: {} } };
    });
    this.on("GET", new RegExp(`^${R}$`), (m) => {
      const repo = this.repos.get(`${m[1]}/${m[2]}`);
      return repo ? { status: 200, body: repo } : { status: 404, body: { message: "Not Found" } };
    });
    this.on("GET", new RegExp(`^${R}/collaborators/([^/]+)/permission$`), (m) => {
      const level = this.permissions.get(`${m[1]}/${m[2]}:${m[3]}`);
      return level ? { status: 200, body: permissionPayload(m[3], level) } : { status: 404, body: { message: "Not Found" } };
    });
    this.on("GET", /^\/app$/, () => ({
      status: 200,
      body: { id: this.opts.appId ?? 1, slug: this.appSlug, name: this.appSlug, owner: userPayload("octo-org") },
    }));
    this.on("GET", new RegExp(`^${R}/contents/(.+)$`), (m, _b, url, headers) => {
      const ref = url.searchParams.get("ref");
      const content = (ref ? this.files.get(`${m[1]}/${m[2]}:${m[3]}@${ref}`) : undefined) ?? this.files.get(`${m[1]}/${m[2]}:${m[3]}`);
      if (content === undefined) return { status: 404, body: { message: "Not Found" } };
      if (/raw/.test(headers.get("accept") ?? ""))
        return { status: 200, body: content, headers: { "content-type": "application/vnd.github.raw; charset=utf-8" } };
      const name = m[3].split("/").pop();
      return { status: 200, body: { type: "file", encoding: "base64", name, path: m[3], content: Buffer.from(content).toString("base64") } };
    });
    this.on("GET", new RegExp(`^${R}/git/ref/heads/(.+)$`), (m) => {
      const sha = this.refOf(`${m[1]}/${m[2]}`, m[3]);
      return sha ? { status: 200, body: { ref: `refs/heads/${m[3]}`, object: { sha, type: "commit" } } } : { status: 404, body: { message: "Not Found" } };
    });
    this.on("DELETE", new RegExp(`^${R}/git/refs/heads/(.+)$`), (m) => {
      const existed = this.refOf(`${m[1]}/${m[2]}`, m[3]) !== undefined;
      this.refs.delete(`${m[1]}/${m[2]}:${m[3]}`);
      if (existed) this.deletedBranches.push(`${m[1]}/${m[2]}:${m[3]}`);
      return existed ? { status: 204 } : { status: 422, body: { message: "Reference does not exist" } };
    });
    this.on("GET", new RegExp(`^${R}/issues/(\\d+)$`), (m) => {
      const issue = this.issue(m[1], m[2], m[3]);
      return issue ? { status: 200, body: issue } : { status: 404, body: { message: "Not Found" } };
    });
    this.on("GET", new RegExp(`^${R}/issues/(\\d+)/comments$`), (m, _b, url) =>
      this.page(
        this.commentsOn(`${m[1]}/${m[2]}`, Number(m[3])).map(({ repo: _r, issueNumber: _n, ...c }) => c),
        url,
      ),
    );
    this.on("POST", new RegExp(`^${R}/issues/(\\d+)/comments$`), (m, body) => {
      const id = this.nextId++;
      const c = {
        ...commentPayload(m[1], m[2], Number(m[3]), { id, author: this.botLogin, body: body.body }),
        user: bot(),
        repo: `${m[1]}/${m[2]}`,
        issueNumber: Number(m[3]),
      };
      this.comments.push(c);
      const { repo: _r, issueNumber: _n, ...payload } = c;
      return { status: 201, body: payload };
    });
    this.on("PATCH", new RegExp(`^${R}/issues/comments/(\\d+)$`), (m, body) => {
      const c = this.comments.find((x) => x.id === Number(m[3]));
      if (!c) return { status: 404, body: { message: "Not Found" } };
      if (c.user.login !== this.botLogin) return { status: 403, body: { message: "Resource not accessible by integration" } };
      c.body = body.body;
      c.updated_at = new Date().toISOString();
      return { status: 200, body: c };
    });
    this.on("POST", new RegExp(`^${R}/issues/(\\d+)/reactions$`), (m, body) => this.react(`${m[1]}/${m[2]}`, `issue:${m[3]}`, body.content));
    this.on("POST", new RegExp(`^${R}/issues/comments/(\\d+)/reactions$`), (m, body) => this.react(`${m[1]}/${m[2]}`, `comment:${m[3]}`, body.content));
    this.on("POST", new RegExp(`^${R}/issues/(\\d+)/labels$`), (m, body) => {
      const issue = this.issue(m[1], m[2], m[3]) ?? this.prAsIssue(m[1], m[2], m[3]);
      if (!issue) return { status: 404, body: { message: "Not Found" } };
      for (const name of body.labels as string[])
        if (!issue.labels.some((l: any) => l.name === name)) issue.labels.push({ id: this.nextId++, name, color: "ededed" });
      return { status: 200, body: issue.labels };
    });
    this.on("DELETE", new RegExp(`^${R}/issues/(\\d+)/labels/(.+)$`), (m) => {
      const issue = this.issue(m[1], m[2], m[3]) ?? this.prAsIssue(m[1], m[2], m[3]);
      const index = issue?.labels.findIndex((l: any) => l.name === m[4]) ?? -1;
      if (!issue || index < 0) return { status: 404, body: { message: "Label does not exist" } };
      issue.labels.splice(index, 1);
      return { status: 200, body: issue.labels };
    });
    this.pullRoutes(R);
    this.checkRoutes(R);
  }

  private react(repo: string, target: string, content: string): Reply {
    const existing = this.reactions.find((r) => r.repo === repo && r.target === target && r.content === content && r.user === this.botLogin);
    if (!existing) this.reactions.push({ repo, target, content, user: this.botLogin });
    return { status: existing ? 200 : 201, body: { id: this.nextId++, content, user: userPayload(this.botLogin) } };
  }

  private prAsIssue(owner: string, repo: string, n: string) {
    return this.fresh(this.pulls.find((p) => p.base.repo.full_name === `${owner}/${repo}` && p.number === Number(n)));
  }

  /** A push moves a PR's head: read it again from the branch, as GitHub would show it. */
  private fresh(pr: any): any {
    if (pr && pr.state === "open") pr.head.sha = this.refOf(pr.base.repo.full_name, pr.head.ref) ?? pr.head.sha;
    return pr;
  }

  private pullRoutes(R: string): void {
    this.on("GET", new RegExp(`^${R}/pulls$`), (m, _b, url) => {
      const head = url.searchParams.get("head");
      const base = url.searchParams.get("base");
      const state = url.searchParams.get("state") ?? "open";
      const found = this.pullsOf(`${m[1]}/${m[2]}`)
        .map((p) => this.fresh(p))
        .filter(
          (p) => (!head || `${p.head.repo.owner.login}:${p.head.ref}` === head) && (!base || p.base.ref === base) && (state === "all" || p.state === state),
        );
      return this.page(found, url);
    });
    for (const [part, source] of [
      ["files", () => this.opts.prFiles],
      ["commits", () => this.opts.prCommits],
    ] as const) {
      this.on("GET", new RegExp(`^${R}/pulls/(\\d+)/${part}$`), (m, _b, url) => {
        const pr = this.prAsIssue(m[1], m[2], m[3]);
        if (!pr) return { status: 404, body: { message: "Not Found" } };
        const list = source()?.(`${m[1]}/${m[2]}`, { number: pr.number, baseRef: pr.base.ref, headRef: pr.head.ref }) ?? [];
        return this.page(list, url);
      });
    }
    this.on("GET", new RegExp(`^${R}/pulls/(\\d+)$`), (m) => {
      const pr = this.prAsIssue(m[1], m[2], m[3]);
      return pr ? { status: 200, body: pr } : { status: 404, body: { message: "Not Found" } };
    });
    this.on("POST", new RegExp(`^${R}/pulls$`), (m, body) => {
      const full = `${m[1]}/${m[2]}`;
      const repo = this.repos.get(full) ?? repoPayload(m[1], m[2]);
      if (this.pullsOf(full).some((p) => p.state === "open" && p.head.ref === body.head)) {
        return {
          status: 422,
          body: {
            message: "Validation Failed",
            errors: [{ resource: "PullRequest", code: "custom", message: `A pull request already exists for ${m[1]}:${body.head}.` }],
          },
        };
      }
      const sha = this.refOf(full, body.head);
      if (!sha) return { status: 422, body: { message: "Validation Failed", errors: [{ resource: "PullRequest", field: "head", code: "invalid" }] } };
      const number =
        Math.max(
          0,
          ...[...this.issues.keys()].filter((k) => k.startsWith(`${full}#`)).map((k) => Number(k.split("#")[1])),
          ...this.pullsOf(full).map((p) => p.number),
        ) + 1;
      const pr = {
        id: this.nextId++,
        node_id: `PR_${number}`,
        number,
        state: "open",
        title: body.title,
        body: body.body ?? null,
        draft: body.draft === true,
        merged: false,
        merged_at: null,
        user: { ...userPayload(this.botLogin), type: "Bot" },
        labels: [] as any[],
        html_url: `${repo.html_url}/pull/${number}`,
        head: { ref: body.head, sha, label: `${m[1]}:${body.head}`, repo },
        base: { ref: body.base, sha: this.refOf(full, body.base) ?? "0".repeat(40), label: `${m[1]}:${body.base}`, repo },
        requested_reviewers: [] as any[],
      };
      this.pulls.push(pr);
      return { status: 201, body: pr };
    });
    this.on("PATCH", new RegExp(`^${R}/pulls/(\\d+)$`), (m, body) => {
      const pr = this.prAsIssue(m[1], m[2], m[3]);
      if (!pr) return { status: 404, body: { message: "Not Found" } };
      for (const key of ["title", "body", "state"] as const) if (body[key] !== undefined) pr[key] = body[key];
      if (body.base) pr.base.ref = body.base;
      return { status: 200, body: pr };
    });
    this.on("POST", new RegExp(`^${R}/pulls/(\\d+)/requested_reviewers$`), (m, body) => {
      const pr = this.prAsIssue(m[1], m[2], m[3]);
      if (!pr) return { status: 404, body: { message: "Not Found" } };
      const strangers = (body.reviewers as string[]).filter((u) => !this.permissions.has(`${m[1]}/${m[2]}:${u}`));
      if (strangers.length)
        return {
          status: 422,
          body: {
            message:
              "Reviews may only be requested from collaborators. One or more of the users or teams you specified is not a collaborator of the repository.",
          },
        };
      pr.requested_reviewers.push(...(body.reviewers as string[]).map(userPayload));
      return { status: 201, body: pr };
    });
    this.on("POST", new RegExp(`^${R}/pulls/(\\d+)/reviews$`), (m, body) => {
      const review = {
        id: this.nextId++,
        repo: `${m[1]}/${m[2]}`,
        pull_number: Number(m[3]),
        user: userPayload(this.botLogin),
        body: body.body,
        state: "COMMENTED",
        commit_id: body.commit_id,
        comments: body.comments ?? [],
      };
      this.reviews.push(review);
      return { status: 200, body: review };
    });
  }

  private checkRoutes(R: string): void {
    const app = () => ({ id: this.opts.appId ?? 1, slug: this.appSlug, name: this.appSlug });
    const save = (run: any, body: any) => {
      for (const key of ["name", "status", "conclusion", "details_url", "output", "completed_at"]) if (body[key] !== undefined) run[key] = body[key];
      if (body.conclusion) run.status = "completed";
      return run;
    };
    this.on("GET", new RegExp(`^${R}/commits/([^/]+)/check-runs$`), (m, _b, url) => {
      const name = url.searchParams.get("check_name");
      const runs = this.checkRuns.filter((r) => r.repo === `${m[1]}/${m[2]}` && r.head_sha === m[3] && (!name || r.name === name));
      return { status: 200, body: { total_count: runs.length, check_runs: runs } };
    });
    this.on("POST", new RegExp(`^${R}/check-runs$`), (m, body) => {
      const id = this.nextId++;
      const run = save(
        { id, repo: `${m[1]}/${m[2]}`, head_sha: body.head_sha, app: app(), html_url: `https://github.com/${m[1]}/${m[2]}/runs/${id}`, conclusion: null },
        body,
      );
      this.checkRuns.push(run);
      return { status: 201, body: run };
    });
    this.on("PATCH", new RegExp(`^${R}/check-runs/(\\d+)$`), (m, body) => {
      const run = this.checkRuns.find((r) => r.id === Number(m[3]));
      return run ? { status: 200, body: save(run, body) } : { status: 404, body: { message: "Not Found" } };
    });
  }
}
