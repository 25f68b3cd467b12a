// The offline forge: a local repository, an issue from a file, and everything GitHub would have
// received recorded in report.json and report.md instead; no network at all.
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import path from "node:path";
import { createLocalForge } from "../../src/forge/localForge.js";
import { buildRepo, git, tempDir } from "../support/repoBuilder.js";

describe("the local forge", () => {
  it("serves the repository path, the issue from the file and admin permission", async () => {
    const root = tempDir();
    const built = buildRepo(root, "demo", { "greet.js": "hello\n" });
    const forge = createLocalForge({ repoPath: built.work, issue: { title: "Greeting is wrong", body: "Say hi" }, outDir: path.join(root, "out") });
    const info = await forge.getRepo({ owner: "local", repo: "demo" });
    expect(info).toMatchObject({ cloneUrl: path.resolve(built.work), defaultBranch: "main" });
    expect(await forge.getIssue(info, 0)).toMatchObject({ title: "Greeting is wrong", body: "Say hi", comments: [] });
    expect(await forge.getPermission(info, "anyone")).toBe("admin");
    expect(await forge.getBranchSha(info, "main")).toBe(built.head());
    expect(await forge.getBranchSha(info, "nope")).toBeUndefined();
    expect(await forge.gitCredentials(info)).toBeUndefined();
  });

  it("records the branch as the PR, once, with status and checks written to the report", async () => {
    const root = tempDir();
    const built = buildRepo(root, "demo", { "greet.js": "hello\n" });
    git(built.work, "branch", "autofix/issue-1");
    const outDir = path.join(root, "out");
    const forge = createLocalForge({ repoPath: built.work, issue: { title: "Greeting", body: "b", number: 1 }, outDir });
    const repo = { owner: "local", repo: "demo" };
    await forge.ensureStatusComment(repo, 1, "<!-- autofix:status:1 -->", "running");
    await forge.ensureStatusComment(repo, 1, "<!-- autofix:status:1 -->", "done");
    await forge.ensureCheckRun(repo, { name: "autofix / gates", headSha: "x", status: "in_progress", title: "Running", summary: "…" });
    await forge.ensureCheckRun(repo, {
      name: "autofix / gates",
      headSha: "x",
      status: "completed",
      conclusion: "success",
      title: "Passed",
      summary: "All three gates agree.",
    });
    const first = await forge.ensurePr(repo, { head: "autofix/issue-1", base: "main", title: "Fix greeting", body: "Fixes it", draft: false });
    const again = await forge.ensurePr(repo, { head: "autofix/issue-1", base: "main", title: "Fix greeting", body: "Fixes it, v2", draft: false });
    expect(first.created).toBe(true);
    expect(again).toMatchObject({ created: false, number: first.number, headSha: built.head() });
    expect(await forge.findOpenPrByHead(repo, "autofix/issue-1")).toMatchObject({ number: first.number });

    const saved = JSON.parse(readFileSync(forge.reportPaths.json, "utf8"));
    expect(saved.statusComment.body).toBe("<!-- autofix:status:1 -->\ndone");
    expect(saved.checkRuns).toHaveLength(1);
    expect(saved.checkRuns[0]).toMatchObject({ conclusion: "success", title: "Passed" });
    expect(saved.pr).toMatchObject({ headRef: "autofix/issue-1", body: "Fixes it, v2" });
    const markdown = readFileSync(forge.reportPaths.markdown, "utf8");
    expect(markdown).toContain("Branch `autofix/issue-1`");
    expect(markdown).toContain("All three gates agree.");
  });

  it("works on a bare repository and records reviews, labels and deleted branches without any network", async () => {
    const root = tempDir();
    const built = buildRepo(root, "demo", { "a.txt": "a\n" });
    const forge = createLocalForge({ repoPath: built.bare, issue: { title: "T", body: "B" }, outDir: path.join(root, "out") });
    const repo = { owner: "local", repo: "demo" };
    expect(await forge.getRepo(repo)).toMatchObject({ cloneUrl: built.bare, defaultBranch: "main" });
    expect(await forge.getBranchSha(repo, "main")).toBe(built.head());
    await forge.addLabels(repo, 0, ["autofix", "autofix"]);
    await forge.removeLabel(repo, 0, "missing");
    await forge.createReview(repo, 1, { commitSha: "c", body: "Looks fine.", comments: [{ path: "a.txt", line: 1, body: "nit: newline" }] });
    await forge.deleteBranch(repo, "autofix/issue-0");
    expect(forge.report).toMatchObject({ labels: ["autofix"], deletedBranches: ["autofix/issue-0"] });
    expect(readFileSync(forge.reportPaths.markdown, "utf8")).toContain("- `a.txt:1`: nit: newline");
    await expect(forge.getPr(repo, 1)).rejects.toMatchObject({ code: "FORGE_NOT_FOUND" });
  });
});
