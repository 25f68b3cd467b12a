// Keeping the bot's branch current: when the base branch moves (and, by default, only when the PR no
// longer merges), re-absorb the recorded delta onto the new head with no agent run, push, and re-run
// the deterministic gate. A conflict is said on the PR; nothing is pushed then.
import { mkdir, rm, writeFile } from "node:fs/promises";
import fs from "node:fs";
import path from "node:path";
import git from "isomorphic-git";
import { isAutofixError, throwIfAborted } from "../errors.js";
import type { JobContext, JobOutcome } from "../jobs/index.js";
import { absorb } from "../engine/index.js";
import { branchChange } from "../engine/index.js";
import { recordBaseline, writeBaseLayer } from "../engine/index.js";
import { computeDelta } from "../engine/index.js";
import { runDeterministicGate } from "../gates/index.js";
import { pushBranch } from "../engine/index.js";
import { neutralizeMentions, renderCheckRun, renderPrTitle } from "./render.js";
import type { PipelineEnv } from "./context.js";
import { materialize, removeSpawn } from "../engine/index.js";
import type { Delta } from "../engine/index.js";

/** A wait that ends at once when the job is cancelled (and then throws its cancellation). */
async function sleep(ms: number, signal: AbortSignal): Promise<void> {
  await new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
  throwIfAborted(signal);
}

export async function runUpdateBranch(ctx: JobContext, env: PipelineEnv): Promise<JobOutcome> {
  const { spec } = ctx.job;
  const { forge, config } = env;
  const repo = spec.repo;
  if (!spec.prNumber) return { kind: "error", message: "A branch update needs the PR it is for; none was given." };
  const info = await forge.getRepo(repo);
  let pr = await forge.getPr(repo, spec.prNumber);
  if (pr.state !== "open") return { kind: "no-change", message: `PR #${pr.number} is closed; nothing to update.` };
  if (config.pr.updateBranch === "never") return { kind: "no-change", message: "pr.updateBranch is `never`." };
  // Recorded, so a resumed job acts on the decision it already made (GitHub's answer may differ by now).
  const stillMerges = await ctx.step("update-check", async () => {
    if (config.pr.updateBranch !== "on-conflict") return false;
    // GitHub computes mergeability in the background: ask a few times before deciding.
    for (let i = 0; i < 5 && (pr.mergeable === null || pr.mergeable === undefined); i++) {
      await sleep(1_000, ctx.signal);
      pr = await forge.getPr(repo, spec.prNumber!);
    }
    return pr.mergeable !== false;
  });
  if (stillMerges) return { kind: "no-change", message: `PR #${pr.number} still merges cleanly into ${pr.baseRef}; nothing to do.` };
  // Every comment is a recorded step: a resumed job never posts the same words twice.
  const say = (step: string, body: string) => ctx.step(step, async () => (await forge.comment(repo, pr.number, body), {}));
  const commits = forge.listPrCommits ? await forge.listPrCommits(repo, pr.number) : [];
  if (commits.some((c) => c.authorEmail !== env.author.email)) {
    await say(
      "comment-human-commits",
      `The base branch \`${pr.baseRef}\` moved and this PR no longer merges cleanly. A human has pushed to \`${pr.headRef}\`, so autofix will not rewrite it: please merge \`${pr.baseRef}\` into the branch yourself, or comment \`/autofix retry\`.`,
    );
    return { kind: "conflict", message: "The base moved; the branch has human commits, so it was left for a human to update." };
  }
  const source = env.source(info);
  // A revised PR has no single recorded delta: its whole change is read back from the branch itself.
  const forkSha = commits[0]?.parentShas?.[0];
  const readBack = () =>
    branchChange({
      source,
      cacheRoot: env.paths.cacheRoot,
      branch: pr.headRef,
      headSha: commits.at(-1)!.sha,
      forkSha: forkSha!,
      signal: ctx.signal,
      engine: env.engine,
    });
  const recorded = (await env.recordedChange?.()) ?? (forkSha ? await ctx.step("branch-change", readBack) : undefined);
  if (!recorded) {
    await say(
      "comment-unreadable",
      `The base branch \`${pr.baseRef}\` moved and this PR no longer merges cleanly. autofix could not read the PR's whole change back from \`${pr.headRef}\` (it changes a submodule, or the branch moved while autofix looked), so it did not re-apply it: comment \`/autofix retry\` for a fresh attempt on the current base.`,
    );
    return { kind: "conflict", message: "The base moved; the PR's change could not be read back to re-absorb." };
  }
  const pushed = await ctx.step("reabsorb", async () => {
    try {
      const absorbed = await absorb({
        delta: recorded.delta,
        baseline: recorded.baseline,
        source,
        onto: pr.baseRef,
        cacheRoot: env.paths.cacheRoot,
        workRoot: env.paths.workRoot,
        message: [
          renderPrTitle(spec.issueNumber, ctx.job.spec.issueTitle ?? `issue #${spec.issueNumber}`),
          "",
          `Fixes #${spec.issueNumber}`,
          "",
          `Re-applied onto the moved ${pr.baseRef} by autofix.`,
        ].join("\n"),
        author: env.author,
        signal: ctx.signal,
        engine: env.engine,
      });
      try {
        await pushBranch({ gitdir: absorbed.gitdir, source, branch: pr.headRef, commitSha: absorbed.commitSha, force: true, signal: ctx.signal });
        return {
          ok: true as const,
          commitSha: absorbed.commitSha,
          parentSha: absorbed.parentSha,
          files: await filesAt(absorbed.gitdir, absorbed.commitSha, recorded.delta),
        };
      } finally {
        await rm(absorbed.gitdir, { recursive: true, force: true });
      }
    } catch (err) {
      if (!isAutofixError(err) || err.code !== "MERGE_CONFLICT") throw err;
      return { ok: false as const, why: `${err.explanation.what} ${err.explanation.why}` };
    }
  });
  if (!pushed.ok) {
    await say(
      "comment-conflict",
      `⚠️ The base branch \`${pr.baseRef}\` moved and autofix's change no longer applies to it:\n\n${neutralizeMentions(pushed.why)}\n\nNothing was pushed. Resolve the conflict on the branch, or comment \`/autofix retry\` for a fresh attempt on the current base.`,
    );
    return { kind: "conflict", message: `The change conflicts with the moved ${pr.baseRef}; nothing was pushed.`, prNumber: pr.number, prUrl: pr.htmlUrl };
  }
  const gate = await ctx.step("deterministic", async () => rerunDeterministic(ctx, env, source, pushed.parentSha, pushed.files));
  await ctx.step("check", async () => forge.ensureCheckRun(repo, renderCheckRun(gate, pushed.commitSha)));
  await say(
    "comment-updated",
    `🔄 The base branch \`${pr.baseRef}\` moved, so autofix re-applied its change onto \`${pushed.parentSha.slice(0, 12)}\` (no agent run) and re-ran the deterministic gate: **${gate.status}**.`,
  );
  return {
    kind: "pr-updated",
    message: `Branch ${pr.headRef} re-absorbed onto ${pr.baseRef}; deterministic gate ${gate.status}.`,
    prNumber: pr.number,
    prUrl: pr.htmlUrl,
    branch: pr.headRef,
  };
}

/** The re-absorbed content of every path the recorded delta touches (null when deleted). */
async function filesAt(gitdir: string, commitSha: string, delta: Delta): Promise<Record<string, string | null>> {
  const out: Record<string, string | null> = {};
  for (const f of delta.files) {
    try {
      const { blob } = await git.readBlob({ fs, gitdir, oid: commitSha, filepath: f.path });
      out[f.path] = Buffer.from(blob).toString("base64");
    } catch {
      out[f.path] = null;
    }
  }
  return out;
}

async function rerunDeterministic(
  ctx: JobContext,
  env: PipelineEnv,
  source: ReturnType<PipelineEnv["source"]>,
  baseSha: string,
  files: Record<string, string | null>,
) {
  const jobId = `${ctx.job.id}--update`;
  const spawn = await materialize({
    jobId,
    source,
    baseRef: baseSha,
    workRoot: env.paths.workRoot,
    cacheRoot: env.paths.cacheRoot,
    signal: ctx.signal,
    engine: env.engine,
  });
  let baselineSpawn: Awaited<ReturnType<typeof materialize>> | undefined;
  try {
    const baseline = await recordBaseline(spawn, env.engine);
    for (const [p, content] of Object.entries(files)) {
      const abs = path.join(spawn.dir, p);
      if (content === null) await rm(abs, { force: true });
      else {
        await mkdir(path.dirname(abs), { recursive: true });
        await writeFile(abs, Buffer.from(content, "base64"));
      }
    }
    const delta = await computeDelta(spawn, baseline, { engine: env.engine });
    return await runDeterministicGate({
      delta,
      baseline,
      spawnDir: spawn.dir,
      baselineDir: async () => {
        baselineSpawn ??= await materialize({
          jobId: `${jobId}--baseline`,
          source,
          baseRef: baseSha,
          workRoot: env.paths.workRoot,
          cacheRoot: env.paths.cacheRoot,
          signal: ctx.signal,
          engine: env.engine,
        });
        return baselineSpawn.dir;
      },
      baseLayer: (layerDir) => writeBaseLayer({ spawn, baseline, delta, layerDir, engine: env.engine }),
      config: env.config,
      sandbox: env.sandbox,
      guardViolations: [],
      cache: env.baselineCache,
      signal: ctx.signal,
      scratchDir: path.join(env.paths.scratchRoot, jobId.replace(/[^A-Za-z0-9_.-]/g, "_")),
    });
  } finally {
    await removeSpawn(spawn);
    if (baselineSpawn) await removeSpawn(baselineSpawn);
  }
}
