// `autofix run`: the same pipeline and gates as the app, driven from a terminal, against GitHub
// (GITHUB_TOKEN) or fully offline against a local repository and an issue file.
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { Octokit } from "@octokit/rest";
import { retry } from "@octokit/plugin-retry";
import { throttling } from "@octokit/plugin-throttling";
import pino from "pino";
import { parseConfig } from "../config/index.js";
import { renderConfigProblemsText } from "../config/index.js";
import type { AutofixConfig } from "../config/index.js";
import { AutofixError } from "../errors.js";
import { createLocalForge, createOctokitForge, installationGitCredentials, type OctokitLike } from "../forge/index.js";
import type { Forge } from "../forge/index.js";
import { ephemeralContext } from "../jobs/index.js";
import type { JobOutcome, JobSpec } from "../jobs/index.js";
import { runPipelineUntilDone } from "../pipeline/index.js";
import { createRuntime } from "../runtime.js";
import { loadSettings } from "../settings.js";
import { exitCodeForRun, UsageError } from "./errors.js";
import { createProgress, humanLogDestination } from "./progress.js";
import { parseTarget } from "./target.js";
import { collectRun, printReport } from "./report.js";
import { cleanupJobDirs } from "../pipeline/index.js";

const options = {
  local: { type: "string" },
  "issue-file": { type: "string" },
  "dry-run": { type: "boolean", default: false },
  agent: { type: "string" },
  "agent-command": { type: "string" },
  config: { type: "string" },
  json: { type: "boolean", default: false },
  out: { type: "string" },
} as const;

export async function runCommand(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  const settings = loadSettings();
  const log = pino({ level: process.env.LOG_LEVEL ?? "warn" }, values.json ? pino.destination(2) : humanLogDestination());
  const progressMode = values.json ? "json" : process.stderr.isTTY ? "tty" : "plain";

  let forge: Forge;
  let spec: JobSpec;
  let config: AutofixConfig;
  let localMode = true;
  if (values.local) {
    if (positionals.length) throw new UsageError(`Unexpected argument \`${positionals[0]}\` with --local.`);
    if (!values["issue-file"]) throw new UsageError("--local needs --issue-file <issue.md> describing the problem.");
    const repoPath = path.resolve(values.local);
    await assertGitRepository(repoPath);
    const issueText = await readText(values["issue-file"], "issue file");
    const [firstLine, ...body] = issueText.split("\n");
    const title = firstLine.replace(/^#+\s*/, "").trim() || "Untitled issue";
    const outDir = path.resolve(values.out ?? path.join(settings.AUTOFIX_DATA_DIR, "runs", `${path.basename(repoPath)}-${Date.now()}`));
    const local = createLocalForge({ repoPath, issue: { title, body: body.join("\n").trim(), number: 1 }, outDir });
    forge = local;
    spec = { repo: { owner: "local", repo: path.basename(repoPath) }, issueNumber: 1, trigger: "cli", requestedBy: process.env.USER ?? "local" };
    config = await configFor(values.config, path.join(repoPath, ".github", "autofix.yml"));
  } else {
    localMode = false;
    const target = positionals[0];
    if (!target || positionals.length > 1) throw new UsageError("`autofix run` needs exactly one issue: owner/repo#12 or an issue URL (or --local).");
    const ref = parseTarget(target);
    if (!settings.GITHUB_TOKEN)
      throw new UsageError(
        "GITHUB_TOKEN is not set.",
        "Export a token that can read the repository (and write, without --dry-run): `export GITHUB_TOKEN=...`.",
      );
    const octokit = githubClient(settings.GITHUB_TOKEN, settings.GHE_HOST ? `${settings.GHE_PROTOCOL ?? "https"}://${settings.GHE_HOST}/api/v3` : undefined);
    const login = (await octokit.request("GET /user").catch(() => undefined))?.data?.login as string | undefined;
    forge = createOctokitForge(octokit as unknown as OctokitLike, {
      botLogin: login,
      gitCredentials: async () => installationGitCredentials(octokit as unknown as OctokitLike)(),
    });
    spec = { repo: ref.repo, issueNumber: ref.issueNumber, trigger: "cli", requestedBy: login ?? "cli" };
    if (values.config) config = await configFor(values.config);
    else {
      // Loaded here, not at the top: src/app/ pulls in Probot, which a --local run never needs (~0.1–0.2 s of startup).
      const { loadConfigViaApi } = await import("../app/index.js");
      const loaded = await loadConfigViaApi(octokit as unknown as OctokitLike, ref.repo);
      if (!loaded.ok) throw configInvalid(loaded.problems, ".github/autofix.yml");
      config = loaded.config;
    }
  }
  config = overrideAgent(config, values.agent, values["agent-command"]);
  const progress = createProgress(progressMode, process.stderr, localMode ? { branch: `${config.pr.branchPrefix}issue-${spec.issueNumber}` } : undefined);

  const runtime = await createRuntime(settings, log, { oneShot: true });
  for (const note of runtime.startupNotes) progress.line(`note: ${note}`);
  const controller = new AbortController();
  const onSignal = () => controller.abort("interrupted from the terminal (Ctrl-C)");
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  const ctx = ephemeralContext(spec, controller.signal, (name, phase, ms) => progress.step(name, phase, ms));
  let outcome: JobOutcome;
  try {
    const env = runtime.envFor(forge, config, { dryRun: values["dry-run"] });
    outcome = await runPipelineUntilDone(ctx, { ...env, forge, config, log });
  } catch (err) {
    progress.stop();
    throw err;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await cleanupJobDirs(ctx.job.id, runtime.paths.workRoot, runtime.paths.scratchRoot);
    await runtime.close();
  }
  progress.stop();
  printReport({ ctx, outcome, forge, json: values.json, dryRun: values["dry-run"] });
  return exitCodeForRun(outcome.kind, collectRun(ctx).attempts.at(-1)?.attempt.agent.failure?.kind);
}

function overrideAgent(config: AutofixConfig, preset: string | undefined, command: string | undefined): AutofixConfig {
  const presets = ["builtin", "claude-code", "codex", "aider", "command"];
  if (preset && !presets.includes(preset)) throw new UsageError(`Unknown agent \`${preset}\`.`, `Use one of: ${presets.join(", ")}.`);
  if (!preset && !command) return config;
  const agent = { ...config.agent };
  if (command) Object.assign(agent, { preset: preset ?? "command", command });
  else if (preset) agent.preset = preset as AutofixConfig["agent"]["preset"];
  return { ...config, agent };
}

async function configFor(file: string | undefined, fallback?: string): Promise<AutofixConfig> {
  const chosen = file ?? fallback;
  if (!chosen) return parseConfig("", "defaults").ok ? (parseConfig("", "defaults") as { config: AutofixConfig }).config : ({} as never);
  let text = "";
  try {
    text = await readFile(chosen, "utf8");
  } catch (err) {
    if (file) throw unreadable(file, "config file", err);
  }
  const parsed = parseConfig(text, chosen);
  if (!parsed.ok) throw configInvalid(parsed.problems, chosen);
  return parsed.config;
}

function configInvalid(problems: { path: string; line?: number; message: string }[], file: string): AutofixError {
  return new AutofixError("CONFIG_INVALID", {
    what: `${file} is invalid.`,
    why: `\n${renderConfigProblemsText(problems, file)}`,
    next: "Fix the listed problems (`autofix validate-config` checks the file).",
  });
}

async function readText(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (err) {
    throw unreadable(file, what, err);
  }
}

function unreadable(file: string, what: string, err: unknown): AutofixError {
  return new AutofixError("FILE_UNREADABLE", {
    what: `The ${what} ${file} cannot be read.`,
    why: (err as Error).message,
    next: `Check the path and its permissions.`,
  });
}

async function assertGitRepository(repoPath: string): Promise<void> {
  const isRepo = await stat(path.join(repoPath, ".git")).then(
    () => true,
    () =>
      stat(path.join(repoPath, "HEAD")).then(
        () => true,
        () => false,
      ),
  );
  if (!isRepo)
    throw new AutofixError("NOT_A_GIT_REPOSITORY", {
      what: `${repoPath} is not a git repository.`,
      why: "--local needs a repository with at least one commit on its current branch.",
      next: "Point --local at a git checkout (run `git init` and commit first).",
    });
}

export function githubClient(token: string, baseUrl?: string): Octokit {
  const Client = Octokit.plugin(retry, throttling);
  return new Client({
    auth: token,
    baseUrl,
    userAgent: "autofix-cli",
    throttle: {
      // GHES instances with rate limiting switched off (and tests) can skip GitHub's pacing of writes.
      enabled: process.env.AUTOFIX_GITHUB_THROTTLE !== "off",
      onRateLimit: (retryAfter: number, _options: unknown, _o: unknown, retryCount: number) => retryCount < 3,
      onSecondaryRateLimit: (retryAfter: number, _options: unknown, _o: unknown, retryCount: number) => retryCount < 2,
    },
  });
}
