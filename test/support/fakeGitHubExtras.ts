// Routes the app and CLI tests need on top of FakeGitHub: the config file, the caller's identity,
// the labelled-issue listing, comment deletion, and branches read from the real bare repository.
import { execFileSync } from "node:child_process";
import type { FakeGitHub } from "./githubApi.js";

type Route = (m: RegExpMatchArray, body: any, url: URL) => { status: number; body?: unknown; headers?: Record<string, string> };

export function extendFakeGitHub(fake: FakeGitHub, opts: { owner: string; name: string; bare: string; config?: () => string | undefined; user?: string }): void {
  const on = (fake as unknown as { on(method: string, pattern: RegExp, handler: Route): void }).on.bind(fake);
  const full = `${opts.owner}/${opts.name}`;
  on("GET", /^\/app$/, () => ({ status: 200, body: { id: 1, slug: fake.appSlug, name: fake.appSlug } }));
  on("GET", /^\/user$/, () => ({ status: 200, body: { login: opts.user ?? "cli-user", id: 99, type: "User" } }));
  on("GET", /^\/repos\/([^/]+)\/([^/]+)\/contents\/(.+)$/, (m) => {
    const config = opts.config?.();
    // Both Probot's loader and the CLI's ask for the raw media type.
    return m[3] === ".github/autofix.yml" && config !== undefined ? { status: 200, body: config } : { status: 404, body: { message: "Not Found" } };
  });
  on("GET", /^\/repos\/([^/]+)\/([^/]+)\/issues$/, (_m, _b, url) => {
    const label = url.searchParams.get("labels");
    const open = [...fake.issues.values()].filter((i) => i.state === "open" && (!label || i.labels.some((l) => l.name === label)));
    return { status: 200, body: open };
  });
  on("DELETE", /^\/repos\/([^/]+)\/([^/]+)\/issues\/comments\/(\d+)$/, (m) => {
    const index = fake.comments.findIndex((c) => c.id === Number(m[3]));
    if (index >= 0) fake.comments.splice(index, 1);
    return { status: index >= 0 ? 204 : 404 };
  });
  // New comments carry the time they were made, as on GitHub (claims expire by age).
  const comments = fake.comments as { created_at: string }[];
  const push = comments.push.bind(comments);
  comments.push = (...items) => push(...items.map((c) => ({ ...c, created_at: new Date().toISOString() })));
  // Branches live in the real bare repository the bot pushes to: the fake answers from it.
  const refs = fake.refs;
  const realGet = refs.get.bind(refs);
  refs.get = (k: string) => {
    const m = /^([^:]+):(.+)$/.exec(k);
    if (!m || m[1] !== full) return realGet(k);
    try {
      return execFileSync("git", ["rev-parse", "--verify", "-q", `refs/heads/${m[2]}`], { cwd: opts.bare, encoding: "utf8" }).trim() || undefined;
    } catch {
      return undefined;
    }
  };
}
