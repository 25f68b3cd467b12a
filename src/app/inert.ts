// A PR closed without merging means "don't retry automatically". The pause is a visible label on
// the issue, so it survives restarts, is shared by every worker, and a maintainer can see or remove it.
import type { Forge, RepoRef } from "../forge/index.js";

export const pausedLabel = "autofix: paused";

export function isPaused(labels: { name: string }[] | undefined): boolean {
  return (labels ?? []).some((l) => l.name === pausedLabel);
}

export async function pause(forge: Forge, repo: RepoRef, issueNumber: number, prNumber: number): Promise<void> {
  await forge.addLabels(repo, issueNumber, [pausedLabel]);
  await forge.comment(
    repo,
    issueNumber,
    `autofix's pull request #${prNumber} was closed without merging, so autofix will not start again on its own for this issue (the \`${pausedLabel}\` label marks that). Comment \`/autofix retry\` to start a fresh attempt.`,
  );
}

export async function clearPause(forge: Forge, repo: RepoRef, issueNumber: number): Promise<void> {
  await forge.removeLabel(repo, issueNumber, pausedLabel);
}
