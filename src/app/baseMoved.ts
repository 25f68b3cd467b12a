// When a base branch moves, the bot's open PRs into it may need their change re-applied on the new
// head (pr.updateBranch). The handler only finds those PRs and enqueues; the worker decides.
import type { Context } from "probot";
import { z } from "zod";
import { jobKey } from "../jobs/index.js";
import type { AppDeps } from "./handlers.js";
import { repoOf } from "./handlers.js";
import { isBotSender } from "./trigger.js";

const pushPayload = z.object({
  ref: z.string(),
  deleted: z.boolean().optional(),
  repository: z.object({
    name: z.string(),
    full_name: z.string(),
    default_branch: z.string(),
    owner: z.object({ login: z.string().optional(), name: z.string().optional() }),
  }),
  sender: z.object({ login: z.string(), type: z.string() }),
  installation: z.object({ id: z.number() }).optional(),
});

export async function onPush(deps: AppDeps, context: Context<"push">): Promise<void> {
  const payload = pushPayload.parse(context.payload);
  if (payload.deleted || !payload.ref.startsWith("refs/heads/")) return;
  const branch = payload.ref.slice("refs/heads/".length);
  const owner = payload.repository.owner.login ?? payload.repository.owner.name ?? payload.repository.full_name.split("/")[0];
  const repo = repoOf({ repository: { name: payload.repository.name, owner: { login: owner } } });
  const loaded = await deps.loadConfig(context);
  if (!loaded.ok) return;
  const config = loaded.config;
  if (config.pr.updateBranch === "never" || branch !== (config.baseBranch ?? payload.repository.default_branch)) return;
  const forge = deps.forgeFor(context);
  if (!forge.listOpenPrs) return;
  const prefix = config.pr.branchPrefix;
  for (const pr of await forge.listOpenPrs(repo, branch)) {
    const m = pr.headRef.startsWith(prefix) ? /^issue-(\d+)$/.exec(pr.headRef.slice(prefix.length)) : null;
    if (!m) continue;
    const key = jobKey(repo, Number(m[1]));
    // A queued or running job absorbs onto the newest head anyway; never cancel it for a branch update.
    const active = await deps.queue.latest(key);
    if (active && (active.state === "queued" || active.state === "running")) continue;
    await deps.queue.enqueue({
      repo,
      issueNumber: Number(m[1]),
      installationId: payload.installation?.id,
      trigger: "update-branch",
      requestedBy: isBotSender(payload.sender) ? "autofix" : payload.sender.login,
      deliveryId: `${context.id}:${pr.number}`,
      prNumber: pr.number,
    });
  }
}
