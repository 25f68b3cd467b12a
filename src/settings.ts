// Operator settings from the environment (documented in .env.example). Parsed once at start-up;
// a wrong value stops the process with the variable's name and what is allowed.
import { z } from "zod";
import { AutofixError } from "./errors.js";

const csv = z
  .string()
  .optional()
  .transform((v) =>
    v
      ? v
          .split(",")
          .map((s) => s.trim())
          .filter(Boolean)
      : [],
  );
const int = (d: number) => z.coerce.number().int().positive().default(d);

export const settingsSchema = z.object({
  APP_ID: z.string().optional(),
  PRIVATE_KEY: z.string().optional(),
  PRIVATE_KEY_PATH: z.string().optional(),
  WEBHOOK_SECRET: z.string().optional(),
  GHE_HOST: z.string().optional(),
  GHE_PROTOCOL: z.enum(["http", "https"]).optional(),
  GITHUB_TOKEN: z.string().optional(),
  LOG_LEVEL: z.string().optional(),
  /** Development only: a smee.io channel whose deliveries `npm start` forwards to its webhook path. */
  WEBHOOK_PROXY_URL: z.string().url("must be the https://smee.io/… URL of your channel").optional(),
  /** Where `npm start` listens. */
  HOST: z.string().min(1).default("0.0.0.0"),
  PORT: z.coerce
    .number({ error: "must be a TCP port number from 1 to 65535" })
    .int("must be a TCP port number from 1 to 65535")
    .min(1, "must be a TCP port number from 1 to 65535")
    .max(65535, "must be a TCP port number from 1 to 65535")
    .default(3000),
  /** `off` on a webhook server whose jobs are run by `autofix worker` processes. */
  AUTOFIX_WORKER: z.enum(["on", "off"], { error: "must be on or off" }).default("on"),

  AUTOFIX_DATA_DIR: z.string().default("./data"),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\/[^\s/]+/, "must be a redis:// or rediss:// URL such as redis://127.0.0.1:6379 (unset it to use the embedded SQLite store)")
    .optional(),
  AUTOFIX_CONCURRENCY: int(2),
  AUTOFIX_PER_INSTALLATION: int(1),
  AUTOFIX_LEASE_MS: int(60_000),
  /** Lease on a webhook delivery being decided (the inbox); a dead process's deliveries are decided by another after it. */
  AUTOFIX_INBOX_LEASE_MS: int(30_000),
  AUTOFIX_MAX_FAILURES: int(3),
  /** Days an ended job (its record and payload files) is kept; 0 keeps jobs forever. */
  AUTOFIX_JOB_RETENTION_DAYS: z.coerce.number().int().min(0).default(30),

  AUTOFIX_LLM_PROVIDER: z.enum(["openai", "anthropic"]).optional(),
  AUTOFIX_LLM_BASE_URL: z.string().url().optional(),
  AUTOFIX_LLM_API_KEY: z.string().optional(),
  AUTOFIX_LLM_MODEL: z.string().optional(),
  /** Judges (semantic, review) may use their own model, provider, endpoint and key. */
  AUTOFIX_JUDGE_PROVIDER: z.enum(["openai", "anthropic"]).optional(),
  AUTOFIX_JUDGE_BASE_URL: z.string().url().optional(),
  AUTOFIX_JUDGE_API_KEY: z.string().optional(),
  AUTOFIX_JUDGE_MODEL: z.string().optional(),
  AUTOFIX_LLM_TIMEOUT_MS: int(120_000),
  /** JSON: {"model-name": {"inputPerMTok": 3, "outputPerMTok": 15}} in US dollars per million tokens. */
  AUTOFIX_LLM_PRICES: z.string().optional(),

  /** Operator variables an agent may receive when a repository's config lists them in agent.passEnv. */
  AUTOFIX_AGENT_PASS_ENV: csv,
  AUTOFIX_SANDBOX: z.enum(["auto", "required", "off"]).default("auto"),
  /** Host directories (comma-separated) agents and commands see read-only, e.g. /opt/python3.12; a bin/ inside goes on PATH. */
  AUTOFIX_SANDBOX_MOUNTS: csv,
  /** Directories (colon-separated, like PATH) where agent CLIs are installed; searched and shown read-only. */
  AUTOFIX_AGENT_PATH: z.string().optional(),
  /** Memory cap of one agent run or one repository command, in MiB (cgroup memory.max, else RLIMIT_AS). */
  AUTOFIX_SANDBOX_MEMORY_MB: int(8192),
  /** A second checkout of the latest commit per repository, built while agents work (see docs/operations.md). */
  AUTOFIX_SPARE_CHECKOUTS: z.enum(["on", "off"]).default("on"),

  AUTOFIX_DASHBOARD_TOKEN: z.string().min(16).optional(),
  AUTOFIX_DASHBOARD_USER: z.string().optional(),
  AUTOFIX_DASHBOARD_PASSWORD: z.string().optional(),
  AUTOFIX_METRICS_PUBLIC: z
    .enum(["true", "false"])
    .default("false")
    .transform((v) => v === "true"),
  AUTOFIX_INSTALLATION_RUNS_PER_DAY: int(200),
  /** Fewest milliseconds between two updates of a repository's dashboard issue (config `dashboard.issue`). */
  AUTOFIX_DASHBOARD_ISSUE_INTERVAL_MS: int(5_000),
});

export type Settings = z.infer<typeof settingsSchema>;

export function loadSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  const parsed = settingsSchema.safeParse(env);
  if (parsed.success) return parsed.data;
  // Each problem names the variable, what it holds now (unless it is a secret) and what is allowed.
  const problems = parsed.error.issues.map((i) => {
    const name = i.path.join(".");
    const value = env[name];
    const safe = value?.replace(/\/\/[^/\s@]*@/g, "//***@").slice(0, 80);
    const shown = safe === undefined || (secretSettingNames as readonly string[]).includes(name) ? "" : ` (it is ${JSON.stringify(safe)})`;
    return `${name}${shown} ${i.message}`;
  });
  throw new AutofixError(
    "SETTINGS_INVALID",
    {
      what: "autofix cannot start because an environment setting is wrong.",
      why: `${problems.join("; ")}.`,
      next: "Fix the named variables (see .env.example) and start again.",
    },
    { data: { problems } },
  );
}

/** Names of settings whose values are secrets: never logged, never passed to an agent or a command. */
export const secretSettingNames = [
  "PRIVATE_KEY",
  "WEBHOOK_SECRET",
  "GITHUB_TOKEN",
  "AUTOFIX_LLM_API_KEY",
  "AUTOFIX_JUDGE_API_KEY",
  "AUTOFIX_DASHBOARD_TOKEN",
  "AUTOFIX_DASHBOARD_PASSWORD",
] as const;
