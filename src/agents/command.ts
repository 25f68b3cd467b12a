// The command agent: runs an external agent CLI (a preset) inside the sandbox, in the spawn, with an
// allow-listed environment, a throw-away HOME and TMPDIR, and the prompt in a file outside the spawn.
import { mkdir, realpath, writeFile } from "node:fs/promises";
import path from "node:path";
import { AutofixError, JobCancelled, throwIfAborted } from "../errors.js";
import { formatMemory, type Sandbox } from "../sandbox/index.js";
import type { Agent, AgentFailure, AgentPreset, AgentRun, AgentRunRequest } from "./types.js";
import { buildAgentEnv, isForbiddenAgentVariable } from "./env.js";
import { findOnPath, isWithin } from "../sandbox/index.js";

export class AgentNotInstalled extends AutofixError {
  constructor(program: string, installHint: string | undefined, searchedPath: string) {
    super(
      "AGENT_NOT_INSTALLED",
      {
        what: `${program} not found on PATH: install it with ${installHint ?? `your package manager`}.`,
        why: `The agent could not start: autofix looks for agent programs in ${searchedPath}.`,
        next: `Install ${program} on the autofix host (or put its directory on the agent PATH), then retry.`,
      },
      { data: { program } },
    );
  }
}

export class AgentScratchInsideSpawn extends AutofixError {
  constructor(scratchDir: string, spawnDir: string) {
    super(
      "AGENT_SCRATCH_INSIDE_SPAWN",
      {
        what: "The agent's scratch directory lies inside the spawn.",
        why: `Files autofix writes for the agent (${scratchDir}) would show up in the delta of ${spawnDir}.`,
        next: "This is a bug in autofix: report it with this message.",
      },
      { data: { scratchDir, spawnDir } },
    );
  }
}

export interface CommandAgentOptions {
  preset: AgentPreset;
  sandbox: Sandbox;
  env: {
    passEnv: string[];
    operatorAllowed: string[];
    source?: NodeJS.ProcessEnv;
    /** Operator directories put first on PATH and made visible read-only (agent CLIs outside /usr). */
    extraPathDirs?: string[];
  };
  /** The repository config's agent.command (command preset). */
  command?: string;
  model?: string;
  /**
   * Agent CLIs talking to an LLM endpoint need "open" or "allow" (only `allowHosts` and the preset's endpoint,
   * through the sandbox's egress proxy); a scripted command can run with "none".
   */
  network?: "open" | "none" | "allow";
  allowHosts?: string[];
  maxOutputBytes?: number;
  log?: { warn(obj: object, msg?: string): void };
}

/** Environment variables hold at most 128 KiB each (MAX_ARG_STRLEN); longer prompts go by file only. */
const maxPromptEnvBytes = 100 * 1024;

const systemDirs = ["/usr", "/bin", "/sbin", "/lib", "/lib64"];

export function describeTimeout(timeoutMs: number): string {
  const minutes = timeoutMs / 60_000;
  const shown = minutes >= 1 ? String(Math.round(minutes * 10) / 10) : String(Math.round(minutes * 1000) / 1000);
  return `the agent ran longer than ${shown} minute${shown === "1" ? "" : "s"} and was stopped`;
}

const authSigns =
  /\b(401|403)\b|unauthori[sz]ed|authentication[_ ]error|invalid (x-)?api[- _]?key|incorrect api key|api key (is )?(missing|invalid|not valid)|permission_error|not logged in|please run .*login/i;
const providerSigns =
  /\b5\d\d\b|internal server error|bad gateway|service unavailable|gateway timeout|overloaded|high demand|rate limit|\b429\b|ECONNREFUSED|ENOTFOUND|ETIMEDOUT|connection (refused|reset|error)|stream (error|disconnected)/i;

/**
 * Whether the CLI could not work at all, judged from its exit, its stop reason and the end of its output.
 * Exit 0 is never a failure here (an agent that worked and changed nothing is judged by its delta).
 */
export function classifyAgentExit(run: { exitCode: number | null; timedOut: boolean; stopReason?: string; outputTail: string }): AgentFailure | undefined {
  const lastWords = run.outputTail.trim().split("\n").slice(-3).join("\n").slice(-600);
  if (run.timedOut) return { kind: "timeout", message: run.stopReason ?? "the agent ran out of time" };
  if (run.exitCode === null || run.exitCode === 0) return undefined;
  const said = [run.stopReason, lastWords].filter(Boolean).join("\n");
  // 127 is the shell's "command not found"; 126 "found but not executable".
  if (run.exitCode === 127 || run.exitCode === 126) return { kind: "not-installed", message: lastWords || `exit code ${run.exitCode}` };
  if (authSigns.test(said)) return { kind: "auth", message: run.stopReason ?? lastWords };
  if (providerSigns.test(said)) return { kind: "provider", message: run.stopReason ?? lastWords };
  return { kind: "crashed", message: run.stopReason ?? (lastWords || `exit code ${run.exitCode}`) };
}

export function createCommandAgent(opts: CommandAgentOptions): Agent {
  const { preset, sandbox } = opts;
  return {
    name: preset.name,
    async run(request: AgentRunRequest): Promise<AgentRun> {
      throwIfAborted(request.signal);
      const spawnDir = path.resolve(request.spawnDir);
      const scratchDir = path.resolve(request.scratchDir);
      if (isWithin(scratchDir, spawnDir)) throw new AgentScratchInsideSpawn(scratchDir, spawnDir);

      const homeDir = path.join(scratchDir, "home");
      const tmpDir = path.join(scratchDir, "tmp");
      const promptFile = path.join(scratchDir, "prompt.md");
      await mkdir(homeDir, { recursive: true });
      await mkdir(tmpDir, { recursive: true });
      await writeFile(promptFile, request.prompt, { mode: 0o600 });

      const { env: baseEnv, refused } = buildAgentEnv({
        passEnv: opts.env.passEnv,
        operatorAllowed: opts.env.operatorAllowed,
        source: opts.env.source,
        home: homeDir,
        tmp: tmpDir,
        extraPathDirs: opts.env.extraPathDirs,
      });
      if (refused.length > 0) {
        opts.log?.warn({ refused }, "agent.passEnv names variables the agent may not receive; they were left out");
      }
      const passedEnv = Object.fromEntries(Object.entries(baseEnv).filter(([name]) => opts.env.passEnv.includes(name)));

      const readOnlyPaths = [...(opts.env.extraPathDirs ?? [])];
      // The CLI may live where the sandbox shows the bot's PATH (a version manager, ~/.local/bin) or AUTOFIX_AGENT_PATH.
      const searchPath = [...new Set([...baseEnv.PATH!.split(":"), ...sandbox.description.pathDirs])].join(":");
      if (preset.program) {
        const found = findOnPath(preset.program, searchPath);
        if (!found) throw new AgentNotInstalled(preset.program, preset.installHint, searchPath);
        // An npm-installed CLI is a symlink into its package: the package directory must be visible too.
        const real = await realpath(found);
        if (!systemDirs.some((dir) => isWithin(real, dir))) {
          const installDir = path.dirname(path.dirname(real));
          readOnlyPaths.push(installDir === "/" ? path.dirname(real) : installDir);
        }
      }

      const invocation = await preset.prepare({
        spawnDir,
        prompt: request.prompt,
        promptFile,
        homeDir,
        tmpDir,
        model: opts.model,
        command: opts.command,
        passedEnv,
        searchPath,
        operatorEnv: process.env,
      });
      const presetEnv = Object.fromEntries(Object.entries(invocation.env).filter(([name]) => !isForbiddenAgentVariable(name)));
      const env: Record<string, string> = { ...baseEnv, ...presetEnv, AUTOFIX_PROMPT_FILE: promptFile };
      if (Buffer.byteLength(request.prompt) <= maxPromptEnvBytes) env.AUTOFIX_PROMPT = request.prompt;

      const result = await sandbox.run({
        argv: invocation.argv,
        cwd: spawnDir,
        env,
        timeoutMs: request.timeoutMs,
        network: opts.network === "allow" ? "none" : (opts.network ?? "open"),
        ...(opts.network === "allow" ? { allowHosts: [...(opts.allowHosts ?? []), ...(invocation.endpointHosts ?? [])] } : {}),
        maxOutputBytes: opts.maxOutputBytes,
        signal: request.signal,
        readOnlyPaths: [...readOnlyPaths, ...invocation.readOnlyPaths, promptFile],
        writablePaths: [homeDir, tmpDir, ...invocation.writablePaths],
        stdin: invocation.stdin,
      });
      if (result.cancelled) {
        throwIfAborted(request.signal);
        throw new JobCancelled("the agent run was cancelled");
      }

      const interpreted = preset.interpret({
        exitCode: result.exitCode,
        outputTail: result.outputTail,
        stdout: result.stdoutTail,
      });
      const stopReason = result.timedOut
        ? describeTimeout(request.timeoutMs)
        : result.memoryExceeded
          ? `the agent used more than ${formatMemory(sandbox.description.memory.maxBytes)} of memory and was stopped`
          : interpreted.stopReason;
      const failure: AgentFailure | undefined =
        result.memoryExceeded && stopReason
          ? { kind: "crashed", message: stopReason }
          : classifyAgentExit({ exitCode: result.exitCode, timedOut: result.timedOut, stopReason, outputTail: result.outputTail });
      // Network `allow`: what the egress proxy refused is part of the run's record.
      const refusedNote = (result.refusedConnections ?? [])
        .map((target) => `autofix: the egress proxy refused a connection to ${target} (not in agent.allowHosts)\n`)
        .join("");
      return {
        agent: preset.name,
        exitCode: result.exitCode,
        timedOut: result.timedOut,
        durationMs: result.durationMs,
        outputTail: refusedNote ? `${result.outputTail}\n${refusedNote}` : result.outputTail,
        ...(result.refusedConnections?.length ? { refusedConnections: result.refusedConnections } : {}),
        isolation: result.isolation,
        ...interpreted,
        ...(stopReason ? { stopReason } : {}),
        ...(failure ? { failure } : {}),
      };
    },
  };
}
