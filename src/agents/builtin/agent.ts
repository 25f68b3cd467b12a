// The built-in agent: a tool-using loop over the LLM client, confined to the spawn, bounded by steps,
// tokens, cost and wall time. It never commits; the pipeline reads its change from the working tree.
import { realpath } from "node:fs/promises";
import picomatch from "picomatch";
import { isAutofixError, JobCancelled, throwIfAborted } from "../../errors.js";
import type { ChatMessage, LlmClient, SpendMeter, Usage } from "../../llm/index.js";
import { addUsage, meteredClient } from "../../llm/index.js";
import { describeTimeout } from "../command.js";
import type { Agent, AgentFailure, AgentRun, AgentRunRequest } from "../types.js";
import { compactHistory } from "./history.js";
import { createToolset, type RunCommand } from "./tools.js";
import { Transcript } from "./transcript.js";

export interface BuiltinAgentOptions {
  llm: LlmClient;
  /** The repository's agent.model; the client's default model otherwise. */
  model?: string;
  /** Most tool calls in one attempt. */
  maxSteps: number;
  /**
   * The job's spend meter: every model call is recorded there and the agent stops when the job (all
   * attempts and judges together) has nothing left. Without one, maxTokens/maxCostUsd bound this run alone.
   */
  meter?: SpendMeter;
  /** Input plus output tokens for the attempt (only without a meter). */
  maxTokens?: number;
  maxCostUsd?: number;
  /** Programs run_command may start (exact names); run_command is offered only with runCommand. */
  allowCommands?: string[];
  runCommand?: RunCommand;
  /** Output tokens per model turn. */
  maxOutputTokensPerTurn?: number;
  /** Per run_command call. */
  commandTimeoutMs?: number;
  /** Conversation size above which the oldest tool outputs are elided (about 4 characters per token). */
  maxHistoryChars?: number;
  /** Globs the gates refuse changes to (config denyPaths + gates.deterministic.protectedPaths); writes there are refused up front. */
  protectedPaths?: string[];
}

const system = `You are a careful software engineer fixing one issue in a repository through tools.
Work like this: look around (list_files, search), read the relevant code (read_file), make the smallest correct change (edit_file for existing files, write_file for new ones), check it when you can (run_command, if offered), then call finish with a short summary.
Paths are relative to the repository root. You cannot reach anything outside it, nor .git.
When a tool answers with "Error:", read the message and adjust; do not repeat the same call unchanged.`;

/** Model turns without a tool call (truncated answers) allowed before giving up. */
const maxIdleTurns = 3;

/** LLM failures no further turn can get past: the run ends and says which kind it was. */
const failureKinds: Record<string, AgentFailure["kind"]> = {
  LLM_AUTH_FAILED: "auth",
  LLM_UNAVAILABLE: "provider",
  LLM_TIMEOUT: "provider",
  LLM_RESPONSE_INVALID: "provider",
  LLM_REQUEST_REJECTED: "provider",
  SPEND_CAP_REACHED: "spend",
};

export function createBuiltinAgent(options: BuiltinAgentOptions): Agent {
  return {
    name: "builtin",
    async run(request: AgentRunRequest): Promise<AgentRun> {
      throwIfAborted(request.signal);
      const startedAt = Date.now();
      const root = await realpath(request.spawnDir);
      const llm = options.meter ? meteredClient(options.llm, options.meter) : options.llm;
      const isProtected = options.protectedPaths?.length ? picomatch(options.protectedPaths, { dot: true }) : undefined;
      // A typed reason (kind "timeout"), so whatever the abort reaches (a tool, a model call) can tell it from a cancel.
      const deadlineController = new AbortController();
      const deadlineTimer = setTimeout(() => deadlineController.abort(new JobCancelled(describeTimeout(request.timeoutMs), "timeout")), request.timeoutMs);
      const deadline = deadlineController.signal;
      const signal = request.signal ? AbortSignal.any([request.signal, deadline]) : deadline;
      const tools = createToolset({
        allowCommands: options.allowCommands ?? [],
        runCommand: options.runCommand,
        commandTimeoutMs: options.commandTimeoutMs ?? 10 * 60_000,
      });
      const transcript = new Transcript();
      const messages: ChatMessage[] = [{ role: "user", content: request.prompt }];
      let usage: Usage = { inputTokens: 0, outputTokens: 0 };
      let steps = 0;
      let idleTurns = 0;

      const finish = (fields: { exitCode: number | null; stopReason?: string; summary?: string; timedOut?: boolean; failure?: AgentFailure }): AgentRun => ({
        agent: "builtin",
        exitCode: fields.exitCode,
        timedOut: fields.timedOut ?? false,
        durationMs: Date.now() - startedAt,
        outputTail: transcript.tail(),
        summary: fields.summary,
        usage,
        stopReason: fields.stopReason,
        ...(fields.failure ? { failure: fields.failure } : {}),
        ...(options.meter ? { usageMetered: true } : {}),
        isolation: "in-process",
      });
      const budgetStop = (): string | undefined => {
        const over = options.meter?.exhausted();
        if (over)
          return `the job's ${String(over.data.cap)} cap is used up (${String(over.data.used)} used, limit ${String(over.data.limit)}, all attempts and judges together)`;
        if (options.meter) return undefined;
        const tokens = usage.inputTokens + usage.outputTokens;
        if (options.maxTokens !== undefined && tokens >= options.maxTokens) {
          return `token budget of ${options.maxTokens.toLocaleString("en-US")} tokens used up (${tokens.toLocaleString("en-US")} used)`;
        }
        if (options.maxCostUsd !== undefined && (usage.costUsd ?? 0) >= options.maxCostUsd) {
          return `cost budget of $${options.maxCostUsd.toFixed(2)} used up ($${(usage.costUsd ?? 0).toFixed(2)} spent)`;
        }
        return undefined;
      };

      try {
        for (;;) {
          const overBudget = budgetStop();
          if (overBudget) return (transcript.stop(overBudget), finish({ exitCode: 1, stopReason: overBudget }));
          const elided = compactHistory(messages, options.maxHistoryChars ?? 400_000);
          if (elided > 0) transcript.note(`elided ${elided} earlier tool output(s) to stay within the context budget`);
          const completion = await llm.complete({
            system,
            messages,
            tools: tools.specs,
            model: options.model,
            maxOutputTokens: options.maxOutputTokensPerTurn ?? 8_192,
            signal,
          });
          usage = addUsage(usage, completion.usage);
          messages.push({ role: "assistant", content: completion.text, toolCalls: completion.toolCalls });
          transcript.assistant(completion.text);

          if (completion.stopReason === "refusal") {
            const reason = `the model refused to continue${completion.text ? `: ${completion.text.slice(0, 300)}` : ""}`;
            return (transcript.stop(reason), finish({ exitCode: 1, stopReason: reason }));
          }
          if (completion.toolCalls.length === 0) {
            if (completion.stopReason !== "max_tokens") {
              // Ending with prose instead of `finish` is still an ending; the delta decides what happened.
              return finish({ exitCode: 0, summary: completion.text.trim() || undefined });
            }
            if (++idleTurns > maxIdleTurns) {
              const reason = `the model's answers were cut off at the output limit ${maxIdleTurns + 1} times in a row`;
              return (transcript.stop(reason), finish({ exitCode: 1, stopReason: reason }));
            }
            messages.push({
              role: "user",
              content: "Your answer was cut off at the output limit. Continue with smaller steps (tool calls), e.g. edit_file instead of write_file.",
            });
            continue;
          }
          idleTurns = 0;

          for (const call of completion.toolCalls) {
            throwIfAborted(request.signal);
            if (deadline.aborted) throw deadline.reason;
            if (steps >= options.maxSteps) {
              const reason = `step limit of ${options.maxSteps} reached`;
              return (transcript.stop(reason), finish({ exitCode: 1, stopReason: reason }));
            }
            steps++;
            transcript.call(call);
            const outcome = await tools.execute({ root, isProtected }, call, signal);
            if (outcome.kind === "finish") {
              return finish({ exitCode: 0, summary: outcome.summary.trim() || completion.text.trim() || undefined });
            }
            transcript.result(outcome.content, outcome.isError);
            messages.push({ role: "tool", toolCallId: call.id, name: call.name, content: outcome.content, isError: outcome.isError || undefined });
          }
        }
      } catch (err) {
        throwIfAborted(request.signal);
        if (deadline.aborted) {
          const reason = describeTimeout(request.timeoutMs);
          transcript.stop(reason);
          return finish({ exitCode: null, stopReason: reason, timedOut: true, failure: { kind: "timeout", message: reason } });
        }
        const kind = isAutofixError(err) && !(err instanceof JobCancelled) ? failureKinds[err.code] : undefined;
        if (kind && isAutofixError(err)) {
          // The provider's own words (status and message) are in `why`; the key never is (redacted upstream).
          const message = `${err.explanation.what} ${err.explanation.why}`;
          transcript.stop(message);
          return finish({ exitCode: 1, stopReason: message, failure: { kind, message } });
        }
        throw err;
      } finally {
        clearTimeout(deadlineTimer);
      }
    },
  };
}
