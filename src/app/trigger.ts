// Who may pull the trigger. Permission comes from the API, never from the payload; the app's own
// events and other bots' are ignored (unless allow-listed) so two bots can never trigger each other.
import type { AutofixConfig } from "../config/index.js";
import { permissionLevels, type PermissionLevel } from "../forge/index.js";
import type { Forge, RepoRef } from "../forge/index.js";

export interface Sender {
  login: string;
  type: string;
}

export type TriggerDecision = { allowed: true } | { allowed: false; reason: "self" | "bot" | "permission"; explain?: string };

export function rank(level: PermissionLevel | "none"): number {
  return level === "none" ? -1 : permissionLevels.indexOf(level);
}

export function isBotSender(sender: Sender): boolean {
  return sender.type === "Bot" || sender.login.endsWith("[bot]");
}

export async function mayTrigger(input: {
  forge: Pick<Forge, "getPermission">;
  repo: RepoRef;
  sender: Sender;
  config: AutofixConfig;
  botLogin?: string;
  action: string;
}): Promise<TriggerDecision> {
  const { sender, config } = input;
  if (input.botLogin && sender.login === input.botLogin) return { allowed: false, reason: "self" };
  if (isBotSender(sender) && !config.allowBots.includes(sender.login)) return { allowed: false, reason: "bot" };
  const level = await input.forge.getPermission(input.repo, sender.login);
  if (rank(level) >= rank(config.permission)) return { allowed: true };
  return {
    allowed: false,
    reason: "permission",
    explain: [
      `@${sender.login}, autofix did not ${input.action}: it needs someone with at least **${config.permission}** permission on this repository, and your permission is **${level}**.`,
      "",
      `Ask a maintainer to ${input.action === "start" ? `add the \`${config.label}\` label` : "run the command"}, or change \`permission\` in \`.github/autofix.yml\`.`,
    ].join("\n"),
  };
}
