// `npm run demo`: the whole pipeline on a fresh machine, offline. Copies examples/demo-repo into a
// new git repository, then runs `autofix run --local` with examples/demo-issue.md and the example
// agent (a fixed edit, not AI). Prints the spawn, the delta, the gate reports and the branch.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import { cpSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import git from "isomorphic-git";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const work = mkdtempSync(path.join(tmpdir(), "autofix-demo-"));
const repo = path.join(work, "greeter");
cpSync(path.join(root, "examples", "demo-repo"), repo, { recursive: true });

await git.init({ fs, dir: repo, defaultBranch: "main" });
await git.add({ fs, dir: repo, filepath: "." });
const author = { name: "Demo Maintainer", email: "maintainer@example.test" };
await git.commit({ fs, dir: repo, message: "greeter: first version", author });
console.log(`Demo repository: ${repo} (a copy of examples/demo-repo, committed on main)\n`);

const result = spawnSync(
  process.execPath,
  [
    path.join(root, "bin", "autofix.js"),
    "run",
    "--local",
    repo,
    "--issue-file",
    path.join(root, "examples", "demo-issue.md"),
    "--out",
    path.join(work, "report"),
  ],
  { stdio: "inherit", env: { ...process.env, AUTOFIX_DATA_DIR: process.env.AUTOFIX_DATA_DIR ?? path.join(work, "data") } },
);

const branches = await git.listBranches({ fs, dir: repo });
const fix = branches.find((b) => b.startsWith("autofix/"));
if (fix) {
  const [commit] = await git.log({ fs, dir: repo, ref: fix, depth: 1 });
  console.log(`\nBranch ${fix} in ${repo}: ${commit.oid.slice(0, 12)} "${commit.commit.message.split("\n")[0]}"`);
  console.log(`Inspect it with: git -C ${repo} show ${fix}`);
}
process.exit(result.status ?? 3);
