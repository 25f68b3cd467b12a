// Routes the app and CLI tests need on top of FakeGitHub: the config file, the caller's identity,
// the labelled-issue listing, comment deletion, and branches read from the real bare repository.
import { execFileSync } from "node:child_process";
import type { FakeGitHub } from "./githubApi.js";

type Route = (m: RegExpMatchArray, body: any, url: URL) => { status: number; body?: unknown; headers?: Record<string, string> };

export function extendFakeGitHub(
  fake: FakeGitHub,
  opts: { owner: string; name: string; bare: string; config?: () => string | undefined; user?: string },
): void {
  const on = (fake as unknown as { on(method: string, pattern: RegExp, handler: Route): void }).on.bind(fake);
  const full = `${opts.owner}/${opts.name}`;
  on("GET", /^\/app$/, () => ({ status: 200, body: { id: 1, slug: fake.appSlug, name: fake.appSlug } }));
  on("GET", /^\/user$/, () => ({ status: 200, body: { login: opts.user ?? "cli-user", id: 99, type: "User" } }));
  on("GET", /^\/repos\/([^/]+)\/([^/]+)\/contents\/(.+)$/, (m, _b, url) => {
    const ref = url.searchParams.get("ref");
    if (ref) {
      try {
        return { status: 200, body: execFileSync("git", ["show", `${ref}:${m[3]}`], { cwd: opts.bare, encoding: "utf8" }) };
      } catch {
        return { status: 404, body: { message: "Not Found" } };
      }
    }
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
  // A PR's files and commits, computed by native git from the real bare repository as GitHub would.
  const pr = (n: string) => fake.pulls.find((p) => String(p.number) === n && p.base.repo.full_name === full);
  const git = (...args: string[]) => execFileSync("git", args, { cwd: opts.bare, encoding: "utf8" });
  on("GET", /^\/repos\/([^/]+)\/([^/]+)\/pulls\/(\d+)\/files$/, (m) => {
    const p = pr(m[3]);
    if (!p) return { status: 404, body: { message: "Not Found" } };
    const range = `${p.base.ref}...${p.head.ref}`;
    const statusOf: Record<string, string> = { A: "added", D: "removed", M: "modified" };
    const files = git("diff", "--name-status", "--no-renames", range)
      .split("\n")
      .filter(Boolean)
      .map((line) => {
        const [code, filename] = line.split("\t");
        const diff = git("diff", "--no-renames", range, "--", filename);
        const at = diff.indexOf("\n@@");
        return { filename, status: statusOf[code[0]] ?? "modified", patch: at >= 0 ? diff.slice(at + 1).replace(/\n$/, "") : undefined };
      });
    return { status: 200, body: files };
  });
  on("GET", /^\/repos\/([^/]+)\/([^/]+)\/pulls\/(\d+)\/commits$/, (m) => {
    const p = pr(m[3]);
    if (!p) return { status: 404, body: { message: "Not Found" } };
    const commits = git("log", "--reverse", "--format=%H%x09%ae%x09%P", `${p.base.ref}..${p.head.ref}`)
      .split("\n")
      .filter(Boolean)
      .map((line) => {
        const [sha, email, parents] = line.split("\t");
        return {
          sha,
          commit: { author: { email } },
          author: null,
          parents: parents
            .split(" ")
            .filter(Boolean)
            .map((parent) => ({ sha: parent })),
        };
      });
    return { status: 200, body: commits };
  });
  on("GET", /^\/repos\/([^/]+)\/([^/]+)\/pulls\/(\d+)\/reviews\/(\d+)\/comments$/, (m) => ({
    status: 200,
    body: (fake.reviews.find((r: any) => String(r.id) === m[4])?.comments ?? []).map((c: any) => ({ path: c.path, line: c.line, body: c.body })),
  }));
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
