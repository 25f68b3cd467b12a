// Composition root shared by the server, `autofix worker` and the CLI: from operator settings to
// everything a pipeline run needs. No domain logic here, only wiring.
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { createBuiltinAgent, sandboxRunCommand } from "./agents/index.js";
import { createCommandAgent } from "./agents/index.js";
import { presets } from "./agents/index.js";
import type { Agent } from "./agents/index.js";
import type { AutofixConfig } from "./config/index.js";
import { AutofixError } from "./errors.js";
import type { Forge, RepoInfo } from "./forge/index.js";
import { llmFromSettings } from "./llm/index.js";
import type { LlmClient, SpendMeter, Usage } from "./llm/index.js";
import { createBaselineCache } from "./gates/index.js";
import { createEngine, SpareRegistry } from "./engine/index.js";
import { createMetrics, type Metrics } from "./observability/index.js";
import type { PipelineEnv } from "./pipeline/index.js";
import type { Log } from "./pipeline/index.js";
import type { RepoSource } from "./engine/index.js";
import { createSandbox, sandboxOptionsFrom } from "./sandbox/index.js";
import type { Sandbox } from "./sandbox/index.js";
import type { Settings } from "./settings.js";

export interface Runtime {
  settings: Settings;
  sandbox: Sandbox;
  agentLlm?: LlmClient;
  judgeLlm?: LlmClient;
  paths: PipelineEnv["paths"];
  /** Build what runPipeline needs (minus forge, config and log) for one job. */
  envFor(
    forge: Forge,
    config: AutofixConfig,
    overrides?: { agent?: Agent; dryRun?: boolean; instructions?: string; author?: { name: string; email: string } },
  ): Omit<PipelineEnv, "forge" | "config" | "log">;
  /** The process's metrics: the pipeline records here, `/metrics` serves this registry. */
  metrics: Metrics;
  /** Notes for the start-up log: sandbox fallback, judges sharing the agent's model. */
  startupNotes: string[];
  /** This process's spare checkouts (long-lived workers only; see docs/operations.md). */
  spares?: SpareRegistry;
  /** Stops background work (spare checkouts, the engine's helper thread) and removes what it left; call once jobs have stopped. */
  close(): Promise<void>;
}

export interface RuntimeHooks {
  onUsage?(role: "agent" | "judge", usage: Usage, model: string): void;
  /** A one-shot run (`autofix run`) builds no spare checkouts: it would throw them away at its end. */
  oneShot?: boolean;
}

export async function createRuntime(settings: Settings, log: Log, hooks: RuntimeHooks = {}): Promise<Runtime> {
  const dataDir = path.resolve(settings.AUTOFIX_DATA_DIR);
  const paths = {
    workRoot: path.join(dataDir, "spawns"),
    cacheRoot: path.join(dataDir, "cache"),
    scratchRoot: path.join(dataDir, "scratch"),
  };
  for (const dir of Object.values(paths)) {
    try {
      await mkdir(dir, { recursive: true });
    } catch (cause) {
      throw new AutofixError(
        "DATA_DIR_UNWRITABLE",
        {
          what: `autofix cannot write its data directory ${dataDir}.`,
          why: String((cause as Error).message),
          next: "Set AUTOFIX_DATA_DIR to a directory the autofix user can write.",
        },
        { cause },
      );
    }
  }
  const metrics = createMetrics();
  // One git engine per process: its object readers and lstat helper live as long as this runtime.
  const engine = createEngine();
  const spares =
    settings.AUTOFIX_SPARE_CHECKOUTS === "on" && !hooks.oneShot
      ? new SpareRegistry({
          onDiscard: (dir, reason) => {
            metrics.recordSpareDiscard();
            log.warn(
              { dir, reason },
              "a spare checkout was modified after it was built and was discarded; the spawn was checked out afresh. Something on this host writes into the data directory: find it (a job without the sandbox?)",
            );
          },
          onMaterialized: (source) => metrics.recordSpawn(source),
          engine,
        })
      : undefined;
  const sandbox = await createSandbox(sandboxOptionsFrom(settings, log));
  const agentLlm = llmFromSettings(settings, "agent", { log, onUsage: (u: Usage, m: string) => hooks.onUsage?.("agent", u, m) });
  const judgeLlm = llmFromSettings(settings, "judge", { log, onUsage: (u: Usage, m: string) => hooks.onUsage?.("judge", u, m) });
  const baselineCache = createBaselineCache(path.join(dataDir, "baseline-results"));

  const startupNotes: string[] = [];
  if (sandbox.fallbackReason) startupNotes.push(`sandbox: ${sandbox.fallbackReason}`);
  if (!judgeLlm)
    startupNotes.push(
      "no LLM configured for the judges: the semantic and review gates report error unless a repository allows skipping (gates.allowSkipWithoutLlm)",
    );
  if (agentLlm && judgeLlm && agentLlm.defaultModel === judgeLlm.defaultModel)
    startupNotes.push(`the built-in agent and the judges use the same model (${judgeLlm.defaultModel}); set AUTOFIX_JUDGE_MODEL for independent judges`);

  function agentFor(config: AutofixConfig, meter?: SpendMeter): Agent {
    const preset = config.agent.preset;
    if (preset === "builtin") {
      if (!agentLlm)
        throw new AutofixError("AGENT_LLM_MISSING", {
          what: "The built-in agent cannot run: the operator configured no LLM.",
          why: "agent.preset is `builtin` (the default), which needs AUTOFIX_LLM_PROVIDER, AUTOFIX_LLM_API_KEY and AUTOFIX_LLM_MODEL.",
          next: "Ask the operator to set those settings, or choose another agent (agent.preset: claude-code, codex, aider or command) in .github/autofix.yml.",
        });
      return createBuiltinAgent({
        llm: agentLlm,
        model: config.agent.model,
        maxSteps: config.agent.maxSteps,
        meter,
        maxTokens: config.limits.maxTokens,
        maxCostUsd: config.limits.maxCostUsd,
        allowCommands: config.agent.allowCommands,
        runCommand: sandboxRunCommand(sandbox, {
          // `allow` has no proxy for the built-in agent's commands yet: they get no network at all.
          network: config.gates.deterministic.network === "open" ? "open" : "none",
          passEnv: config.agent.passEnv,
          operatorAllowed: settings.AUTOFIX_AGENT_PASS_ENV,
          scratchRoot: paths.scratchRoot,
        }),
        protectedPaths: [...config.denyPaths, ...config.gates.deterministic.protectedPaths],
      });
    }
    const chosen = presets[preset];
    if (!chosen)
      throw new AutofixError("AGENT_PRESET_UNAVAILABLE", {
        what: `The agent preset \`${preset}\` is not available in this autofix installation.`,
        why: "The repository's config names a preset this version does not ship.",
        next: "Choose builtin, claude-code, codex, aider or command in .github/autofix.yml, or upgrade autofix.",
      });
    return createCommandAgent({
      preset: chosen,
      sandbox,
      env: { passEnv: config.agent.passEnv, operatorAllowed: settings.AUTOFIX_AGENT_PASS_ENV },
      command: config.agent.command,
      model: config.agent.model,
      network: config.agent.network,
      allowHosts: config.agent.allowHosts,
      log,
    });
  }

  return {
    settings,
    metrics,
    sandbox,
    agentLlm,
    judgeLlm,
    paths,
    startupNotes,
    spares,
    close: async () => {
      await spares?.discardAll();
      await engine.close();
    },
    envFor(forge, config, overrides = {}) {
      return {
        sandbox,
        createAgent: (c: AutofixConfig, meter?: SpendMeter) => overrides.agent ?? agentFor(c, meter),
        judge: judgeLlm,
        agentModel: config.agent.preset === "builtin" ? (config.agent.model ?? agentLlm?.defaultModel) : config.agent.model,
        source: (repo: RepoInfo): RepoSource => sourceFor(forge, repo),
        paths,
        spares,
        engine,
        baselineCache,
        dryRun: overrides.dryRun,
        instructions: overrides.instructions,
        author: overrides.author ?? botAuthor(undefined),
      };
    },
  };
}

export function sourceFor(forge: Forge, repo: RepoInfo): RepoSource {
  const local = forge.kind === "local";
  return {
    cacheKey: local ? `local:${repo.cloneUrl}` : repo.cloneUrl.replace(/^https?:\/\//, "").replace(/\.git$/, ""),
    url: repo.cloneUrl,
    auth: local ? undefined : () => forge.gitCredentials({ owner: repo.owner, repo: repo.repo }),
  };
}

/** The commit author of a GitHub App's commits: its bot account `<slug>[bot]` (autofix[bot] until the slug is known). */
export function botAuthor(login: string | undefined): { name: string; email: string } {
  const name = login && /^[A-Za-z0-9-]+\[bot\]$/.test(login) ? login : "autofix[bot]";
  return { name, email: `${name}@users.noreply.github.com` };
}
