// Branch updates are idempotent: every comment happens inside a recorded step, so a job resumed after a
// crash (its finished steps replayed from the record) posts nothing twice; its waits end on cancel.
import { describe, expect, it } from "vitest";
import { parseConfig, type AutofixConfig } from "../../src/config/index.js";
import { JobCancelled } from "../../src/errors.js";
import type { Forge } from "../../src/forge/index.js";
import { ephemeralContext } from "../../src/jobs/index.js";
import { runPipeline, type PipelineEnv } from "../../src/pipeline/index.js";

const repo = { owner: "octo", repo: "widgets" };
const author = { name: "autofix[bot]", email: "autofix[bot]@users.noreply.github.com" };

function config(yaml: string): AutofixConfig {
  const parsed = parseConfig(yaml, "test.yml");
  if (!parsed.ok) throw new Error("bad test config");
  return parsed.config;
}

function fakeForge(mergeable: boolean | null) {
  const comments: string[] = [];
  const forge = {
    kind: "github",
    getRepo: async () => ({ ...repo, defaultBranch: "main", cloneUrl: "http://127.0.0.1:9/x.git", htmlUrl: "https://github.com/octo/widgets" }),
    getPr: async () => ({
      number: 3,
      state: "open",
      mergeable,
      baseRef: "main",
      headRef: "autofix/issue-7",
      htmlUrl: "https://github.com/octo/widgets/pull/3",
    }),
    listPrCommits: async () => [{ sha: "a".repeat(40), authorEmail: "human@example.com", parentShas: ["b".repeat(40)] }],
    comment: async (_r: unknown, _n: number, body: string) => (comments.push(body), comments.length),
  } as unknown as Forge;
  return { forge, comments };
}

function env(forge: Forge, cfg: AutofixConfig): PipelineEnv {
  return { forge, config: cfg, author, log: { info() {}, warn() {}, error() {}, debug() {} } } as unknown as PipelineEnv;
}

const spec = { repo, issueNumber: 7, trigger: "update-branch" as const, requestedBy: "autofix", prNumber: 3 };

describe("branch update", () => {
  it("a resumed branch update does not post its comment again", async () => {
    const { forge, comments } = fakeForge(false);
    const ctx = ephemeralContext(spec, new AbortController().signal);
    const e = env(forge, config("pr:\n  updateBranch: always\n"));
    const first = await runPipeline(ctx, e);
    // The worker died after the comment, before the job was settled: the next claim replays the record.
    const again = await runPipeline(ctx, e);
    expect(first.kind).toBe("conflict");
    expect(again.kind).toBe("conflict");
    expect(comments).toHaveLength(1);
    expect(comments[0]).toContain("A human has pushed to `autofix/issue-7`");
  });

  it("its wait for GitHub's mergeability answer ends at once when the job is cancelled", async () => {
    const { forge, comments } = fakeForge(null);
    const controller = new AbortController();
    const ctx = ephemeralContext(spec, controller.signal);
    const started = Date.now();
    const run = runPipeline(ctx, env(forge, config("pr:\n  updateBranch: on-conflict\n")));
    setTimeout(() => controller.abort(new JobCancelled("the PR was closed")), 100);
    await expect(run).rejects.toThrow(JobCancelled);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(comments).toEqual([]);
  });
});
