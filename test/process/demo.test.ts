// `npm run demo` exactly as the README's quick start runs it: offline, no account, no key. It must print the
// branch it made and the gate reports, and the branch must hold the example agent's one fixed edit.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { runProduct } from "../support/productProcess.js";
import { git, tempDir } from "../support/repoBuilder.js";

describe("npm run demo (a process)", () => {
  it("prints the demo repository, the gate reports and the branch autofix/issue-1 holding only the agent's edit", async () => {
    const r = await runProduct(
      "npm",
      ["run", "demo"],
      { AUTOFIX_DATA_DIR: tempDir("autofix-demo-data-"), TMPDIR: tempDir("autofix-demo-tmp-") },
      { timeoutMs: 120_000 },
    );
    expect(r.code, r.output.slice(-3000)).toBe(0);
    const repo = /Demo repository: (\S+) \(a copy of examples\/demo-repo/.exec(r.stdout)?.[1];
    expect(repo, r.stdout).toBeTruthy();
    expect(r.stdout).toContain("Gate deterministic: PASS");
    expect(r.stdout).toMatch(/Gate semantic: SKIPPED/);
    const branch = new RegExp(`Branch autofix/issue-1 in ${repo!.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: ([0-9a-f]{12}) "`).exec(r.stdout);
    expect(branch, r.stdout).toBeTruthy();
    expect(r.stdout).toContain(`Inspect it with: git -C ${repo} show autofix/issue-1`);

    // What it printed is what is on disk: the branch's commit, with the example agent's edit alone.
    expect(git(repo!, "rev-parse", "autofix/issue-1").slice(0, 12)).toBe(branch![1]);
    const diff = git(repo!, "diff", "main", "autofix/issue-1");
    expect(diff.match(/^diff --git/gm)).toHaveLength(1);
    expect(diff).toContain('+  return "Hello, " + trimmed + "!";');
    expect(git(repo!, "status", "--porcelain")).toBe("");
    const report = path.join(path.dirname(repo!), "report", "report.md");
    expect(existsSync(report)).toBe(true);
    expect(readFileSync(report, "utf8")).toContain("deterministic");
  });
});
