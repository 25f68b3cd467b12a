// The only place a repository option exists: `.github/autofix.yml`. Types, defaults, validation
// messages, autofix.schema.json and docs/configuration.md all come from this declaration.
import { z } from "zod";
import { secretSettingNames } from "../settings.js";
import { permissionLevels } from "../forge/index.js";

const globList = (what: string, defaults: string[]) => z.array(z.string().min(1)).default(defaults).describe(what);

/** A model name, never a key or an endpoint: those are the operator's, and a repository file is public. */
const modelName = (what: string) =>
  z
    .string()
    .min(1)
    .max(200)
    .refine(
      (name) => !/:\/\/|^\s|\s$|^(sk-|ghs_|ghp_|github_pat_)/.test(name),
      "a model name such as `gpt-4.1` or `claude-sonnet-4-5`; keys and endpoints are operator settings, never in the repository",
    )
    .optional()
    .describe(what);

const ownSecrets = new Set<string>(secretSettingNames);

export const agentSchema = z
  .object({
    preset: z
      .enum(["builtin", "claude-code", "codex", "aider", "command"])
      .default("builtin")
      .describe("Which agent edits the spawn. `builtin` needs only the operator's LLM settings."),
    command: z
      .string()
      .min(1)
      .optional()
      .describe(
        "Command line for the `command` preset (run with /bin/sh -c in the spawn). The prompt is in $AUTOFIX_PROMPT and in the file named by $AUTOFIX_PROMPT_FILE.",
      ),
    model: modelName("Model name for the agent. Never a key or an endpoint: those are operator settings."),
    timeoutMinutes: z.number().positive().max(180).default(20).describe("Wall-clock limit for one agent attempt."),
    passEnv: z
      .array(
        z
          .string()
          .regex(/^[A-Z_][A-Z0-9_]*$/, "an environment variable name in UPPER_SNAKE_CASE")
          .refine(
            (name) => !ownSecrets.has(name),
            "the name of an operator variable other than autofix's own secrets (GitHub App key, tokens, LLM keys), which never reach an agent",
          ),
      )
      .default([])
      .describe(
        "Operator environment variables passed through to the agent (for example its own API key). The operator must also allow them with AUTOFIX_AGENT_PASS_ENV.",
      ),
    instructions: z.string().max(20_000).optional().describe("Extra instructions added to every prompt."),
    maxSteps: z.number().int().positive().max(500).default(60).describe("Built-in agent: most tool calls in one attempt."),
    allowCommands: z.array(z.string().min(1)).default([]).describe("Built-in agent: commands it may run (exact program names, e.g. `npm`)."),
    toolFiles: globList("Extra paths the agent writes for itself, left out of every delta (added to the built-in list).", []),
    network: z
      .enum(["open", "none", "allow"])
      .default("open")
      .describe(
        "Network for CLI agents: `open`, `none`, or `allow` (only `allowHosts` and the preset's LLM endpoint, through autofix's egress proxy; refused connections are recorded with the run).",
      ),
    allowHosts: z
      .array(z.string().regex(/^(\*\.)?[A-Za-z0-9.-]+(:\d+)?$|^\[[0-9a-fA-F:]+\](:\d+)?$/, "a host name, `host:port` or `*.domain`"))
      .max(50)
      .default([])
      .describe("With `agent.network: allow`: hosts the agent may reach besides its LLM endpoint."),
  })
  .strict()
  .superRefine((agent, ctx) => {
    if (agent.preset === "command" && !agent.command) {
      ctx.addIssue({ code: "custom", path: ["command"], message: "the `command` preset needs `agent.command`: the command line that runs the agent." });
    }
  });

export const commandSchema = z
  .object({
    name: z.string().min(1).optional().describe("Label shown in reports; defaults to the command."),
    run: z.string().min(1).describe("Shell command run in the spawn."),
    timeoutMinutes: z.number().positive().max(120).default(15).describe("Limit for this command."),
    junit: z.string().optional().describe("Path (relative to the spawn) of a JUnit XML report this command writes, for per-test regression."),
  })
  .strict();

export const ciGateSchema = z
  .object({
    wait: z
      .boolean()
      .default(false)
      .describe("Open the PR as a draft and follow the head commit's checks; mark it ready for review when every watched check is green."),
    checks: z
      .union([z.literal("all"), z.array(z.string().min(1)).min(1)])
      .default("all")
      .describe("Which checks are watched: `all`, or a list of check-run names, commit-status contexts or workflow names."),
    timeoutMinutes: z
      .number()
      .positive()
      .max(24 * 60)
      .default(60)
      .describe("How long to wait for the watched checks to finish before saying which never did."),
    onFailure: z
      .enum(["repair", "report"])
      .default("repair")
      .describe(
        "On a red check: `repair` hands the failure to the agent for one more commit (counted against `limits.attempts` and spend); `report` only says which checks failed.",
      ),
    pollSeconds: z
      .number()
      .positive()
      .max(3_600)
      .default(60)
      .describe("How often the checks are read again when no check event arrives (a fallback for lost webhooks)."),
  })
  .strict();

export const dashboardSchema = z
  .object({
    issue: z.boolean().default(false).describe("Keep one issue in the repository listing the bot's jobs, with checkboxes to retry, stop or run a job now."),
    title: z.string().min(1).max(200).default("autofix dashboard").describe("Title of the dashboard issue."),
  })
  .strict();

export const gatesSchema = z
  .object({
    deterministic: z
      .object({
        commands: z
          .array(
            z.union([
              z
                .string()
                .min(1)
                .transform((run) => ({ run, timeoutMinutes: 15 })),
              commandSchema,
            ]),
          )
          .optional()
          .describe(
            "The repository's own checks, run after the agent and on the baseline. When absent, autofix detects the test command from the repository's manifests.",
          ),
        setup: z
          .array(z.string().min(1))
          .default([])
          .describe("Commands run before the checks on both sides (for example `npm ci`); their failure is an error, not a regression."),
        network: z
          .enum(["open", "none", "allow"])
          .default("none")
          .describe(
            "Network inside the sandbox for the repository's commands: `none`, `open`, or `allow` (only the hosts in `allowHosts`, through autofix's egress proxy; refused connections are listed in the report).",
          ),
        allowHosts: z
          .array(z.string().regex(/^(\*\.)?[A-Za-z0-9.-]+(:\d+)?$|^\[[0-9a-fA-F:]+\](:\d+)?$/, "a host name, `host:port` or `*.domain`"))
          .max(50)
          .default([])
          .describe(
            "With `network: allow`: the hosts the commands may reach (`registry.npmjs.org`, `pypi.org:443`, `*.example.com`), over HTTP(S) through the proxy in HTTP_PROXY/HTTPS_PROXY.",
          ),
        protectedPaths: globList(
          "Paths the agent must not edit: CI and automation that runs with privileges, and this file. Edits fail the gate. Lint, test and coverage configuration are judged by the gate's rules instead (loosening blocks, tightening passes).",
          [
            ".github/workflows/**",
            ".github/actions/**",
            ".github/autofix.yml",
            ".github/autofix.yaml",
            ".gitlab-ci.yml",
            ".gitlab/ci/**",
            ".circleci/**",
            "Jenkinsfile",
            ".travis.yml",
            "azure-pipelines.yml",
            ".azure-pipelines/**",
            "bitbucket-pipelines.yml",
            "appveyor.yml",
            ".appveyor.yml",
            ".buildkite/**",
            ".drone.yml",
            ".woodpecker.yml",
            ".woodpecker/**",
            "cloudbuild.yaml",
            "buildspec.yml",
          ],
        ),
        maxBinaryBytes: z.number().int().nonnegative().default(1_000_000).describe("Largest new binary file allowed."),
      })
      .strict()
      .prefault({})
      .describe("Deterministic gate: the repository's own checks plus tamper checks, compared with the baseline."),
    semantic: z
      .object({
        enabled: z.boolean().default(true).describe("Run the LLM judge."),
        model: modelName("Model for the judge (defaults to the operator's judge model)."),
        minConfidence: z.number().min(0).max(1).default(0.7).describe("Confidence the judge must reach for a pass."),
        maxDiffChars: z
          .number()
          .int()
          .positive()
          .default(60_000)
          .describe("Diff budget shown to the judge; larger diffs are summarized with a visible marker."),
      })
      .strict()
      .prefault({})
      .describe("Semantic gate: an LLM judge decides whether the diff addresses the issue."),
    review: z
      .object({
        enabled: z.boolean().default(true).describe("Run the LLM code review."),
        model: modelName("Model for the reviewer (defaults to the operator's judge model)."),
        blockAt: z.enum(["blocker", "major", "minor", "nit"]).default("major").describe("Lowest severity that fails the gate."),
      })
      .strict()
      .prefault({})
      .describe("Review gate: an LLM code review of the diff."),
    allowSkipWithoutLlm: z
      .boolean()
      .default(false)
      .describe("When the operator configured no LLM, report the semantic and review gates as skipped instead of error."),
    ci: ciGateSchema.prefault({}).describe("CI gate: the repository's own CI on the PR, followed after the three gates pass."),
  })
  .strict();

export const limitsSchema = z
  .object({
    maxFiles: z.number().int().positive().default(50).describe("Most files one delta may touch."),
    maxLinesChanged: z.number().int().positive().default(2_000).describe("Most added plus deleted lines."),
    maxDeletedFiles: z.number().int().nonnegative().default(20).describe("Most files one delta may delete."),
    maxDeletedShare: z.number().min(0).max(1).default(0.25).describe("Share of the repository's files above which deletions count as wholesale."),
    maxFileBytes: z.number().int().positive().default(5_000_000).describe("Largest file the agent may write."),
    maxTotalBytes: z.number().int().positive().default(20_000_000).describe("Most bytes written in one delta."),
    attempts: z.number().int().min(1).max(5).default(2).describe("Agent attempts per job (the first plus repairs fed with gate reports)."),
    maxTokens: z.number().int().positive().default(2_000_000).describe("Tokens per job, agent and gates together."),
    maxCostUsd: z.number().positive().default(5).describe("Cost per job in US dollars, where a price table is configured."),
    maxWallMinutes: z.number().positive().default(60).describe("Wall-clock limit for the whole job."),
    runsPerDay: z.number().int().positive().default(20).describe("Jobs per repository per day."),
  })
  .strict();

export const prSchema = z
  .object({
    onGateFailure: z
      .enum(["none", "draft"])
      .default("none")
      .describe(
        "After the last attempt fails a gate: `none` comments on the issue and keeps the branch; `draft` opens a draft PR labelled with the failing gates.",
      ),
    draft: z.boolean().default(false).describe("Open even passing PRs as drafts."),
    labels: z.array(z.string().min(1)).default([]).describe("Labels added to the PR."),
    reviewers: z.array(z.string().min(1)).default([]).describe("Users asked to review, besides the requester."),
    branchPrefix: z
      .string()
      .regex(/^[A-Za-z0-9._/-]+\/$/, "letters, digits, `._-/`, ending with `/`")
      .default("autofix/")
      .describe("Branch name prefix; the branch is `<prefix>issue-N`."),
    updateBranch: z
      .enum(["never", "on-conflict", "always"])
      .default("on-conflict")
      .describe("When the base branch moves: re-absorb the change onto the new head never, only when the PR no longer merges, or always."),
    reviseOnChangesRequested: z.boolean().default(true).describe("A review requesting changes on the bot's PR starts a revision."),
  })
  .strict();

export const sandboxSchema = z
  .object({
    mounts: z
      .array(z.string().regex(/^\//, "an absolute path on the autofix host, such as /opt/python3.12"))
      .max(20)
      .default([])
      .describe(
        "Host directories the agent and the repository's commands see read-only (toolchains outside the bot's PATH, e.g. /opt/python3.12); a bin/ inside goes first on PATH. Home directories, autofix's own files and credentials are refused.",
      ),
  })
  .strict();

export const configSchema = z
  .object({
    label: z.string().min(1).max(50).default("autofix").describe("Label that starts a job when added to an issue."),
    permission: z.enum(permissionLevels).default("write").describe("Least permission a person needs on the repository to trigger or steer the bot."),
    allowBots: z.array(z.string().min(1)).default([]).describe("Bot accounts (e.g. `renovate[bot]`) allowed to trigger; all other bots are ignored."),
    baseBranch: z.string().min(1).optional().describe("Branch the fix is based on; defaults to the repository's default branch."),
    agent: agentSchema.prefault({}).describe("The coding agent that edits the spawn."),
    gates: gatesSchema.prefault({}).describe("The three gates a change must pass before a PR opens."),
    limits: limitsSchema.prefault({}).describe("Bounds on one job: size of the change, attempts, tokens, cost and time."),
    denyPaths: globList("Paths the agent may never write; a delta touching them is refused.", [".github/workflows/**"]),
    pr: prSchema.prefault({}).describe("How the pull request is opened and kept up to date."),
    dashboard: dashboardSchema.prefault({}).describe("The dashboard issue: one issue per repository showing and steering the bot's jobs."),
    sandbox: sandboxSchema.prefault({}).describe("What the sandbox shows agents and commands besides the spawn and the host's toolchains."),
  })
  .strict()
  .describe("autofix configuration, read from .github/autofix.yml on the default branch.");

export type AutofixConfig = z.infer<typeof configSchema>;
export type AgentConfig = z.infer<typeof agentSchema>;
export type LimitsConfig = z.infer<typeof limitsSchema>;
export type CiGateConfig = z.infer<typeof ciGateSchema>;

export function defaultConfig(): AutofixConfig {
  return configSchema.parse({});
}
