// The agent's environment, built from an allow-list: a fixed base plus only the variables both the repository
// (agent.passEnv) and the operator (AUTOFIX_AGENT_PASS_ENV) name. The bot's own secrets are never passable.
import path from "node:path";
import { secretSettingNames } from "../settings.js";

export interface BuildAgentEnvOptions {
  /** The repository config's agent.passEnv. */
  passEnv: string[];
  /** The operator's AUTOFIX_AGENT_PASS_ENV. */
  operatorAllowed: string[];
  /** Where passed values come from (process.env by default). */
  source?: NodeJS.ProcessEnv;
  home: string;
  tmp: string;
  /** Operator-chosen directories put first on PATH (agent CLIs installed outside the system directories). */
  extraPathDirs?: string[];
}

export interface AgentEnv {
  env: Record<string, string>;
  /** Names the repository asked for that were refused: secrets of the bot, or not allowed by the operator. */
  refused: string[];
}

const systemPath = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];

/** Names nobody may pass to an agent, whatever both allow-lists say: they would hand it the bot's powers. */
export function isForbiddenAgentVariable(name: string): boolean {
  const upper = name.toUpperCase();
  return (
    (secretSettingNames as readonly string[]).includes(upper) ||
    upper === "GITHUB_TOKEN" ||
    upper === "GH_TOKEN" ||
    upper === "GH_ENTERPRISE_TOKEN" ||
    upper === "GITHUB_ENTERPRISE_TOKEN" ||
    upper.startsWith("PRIVATE_KEY") ||
    upper === "WEBHOOK_SECRET" ||
    // Written to .env by Probot's manifest flow besides APP_ID, PRIVATE_KEY and WEBHOOK_SECRET.
    upper === "GITHUB_CLIENT_ID" ||
    upper === "GITHUB_CLIENT_SECRET" ||
    upper === "WEBHOOK_PROXY_URL" ||
    upper.startsWith("AUTOFIX_") ||
    upper === "APP_ID" ||
    upper === "REDIS_URL"
  );
}

/** The fixed base names the agent always gets; passEnv cannot replace them either. */
const baseNames = new Set(["PATH", "HOME", "TMPDIR", "LANG", "LC_ALL", "TERM", "CI"]);

export function fixedPath(extraPathDirs: string[] = []): string {
  const nodeBin = path.dirname(process.execPath);
  const dirs = [...extraPathDirs, ...systemPath];
  if (!dirs.includes(nodeBin)) dirs.push(nodeBin);
  return dirs.join(":");
}

export function buildAgentEnv(opts: BuildAgentEnvOptions): AgentEnv {
  const source = opts.source ?? process.env;
  const env: Record<string, string> = {
    PATH: fixedPath(opts.extraPathDirs),
    HOME: opts.home,
    TMPDIR: opts.tmp,
    LANG: "C.UTF-8",
    LC_ALL: "C.UTF-8",
    TERM: "dumb",
    CI: "1",
  };
  const operatorAllowed = new Set(opts.operatorAllowed);
  const refused: string[] = [];
  for (const name of new Set(opts.passEnv)) {
    if (isForbiddenAgentVariable(name) || baseNames.has(name) || !operatorAllowed.has(name)) {
      refused.push(name);
      continue;
    }
    const value = source[name];
    if (value !== undefined) env[name] = value;
  }
  return { env, refused };
}
