// A judge LLM behind nock speaking OpenAI chat completions: answers the semantic gate and the
// review gate with the verdicts a test chooses, in the shape the real API returns.
import nock from "nock";

export const judgeBaseUrl = "https://judge.llm.test/v1";
export const judgeEnv = {
  AUTOFIX_JUDGE_PROVIDER: "openai",
  AUTOFIX_JUDGE_BASE_URL: judgeBaseUrl,
  AUTOFIX_JUDGE_API_KEY: "sk-judge-secret-key-0123456789",
  AUTOFIX_JUDGE_MODEL: "judge-model-1",
};

/** The built-in agent's own (fake) LLM endpoint, beside the judges', for tests that run that agent. */
export const agentLlm = { origin: "https://agent.llm.test", path: "/v1/chat/completions" };
export const agentLlmEnv = {
  AUTOFIX_LLM_PROVIDER: "openai",
  AUTOFIX_LLM_BASE_URL: `${agentLlm.origin}/v1`,
  AUTOFIX_LLM_API_KEY: "sk-agent-secret-key-9876543210",
  AUTOFIX_LLM_MODEL: "agent-model-1",
};

export interface JudgeScript {
  semantic?: { verdict: "yes" | "partly" | "no" | "unsure"; confidence?: number; rationale?: string; unrelatedPaths?: string[]; questions?: string[] };
  review?: {
    decision: "approve" | "request-changes" | "comment";
    summary?: string;
    findings?: { path: string; line?: number | null; severity: "blocker" | "major" | "minor" | "nit"; text: string }[];
  };
}

function completion(content: string) {
  return {
    id: `chatcmpl-${Math.random().toString(36).slice(2)}`,
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model: "judge-model-1",
    choices: [{ index: 0, message: { role: "assistant", content, refusal: null }, finish_reason: "stop" }],
    usage: { prompt_tokens: 900, completion_tokens: 120, total_tokens: 1020 },
  };
}

/** Persisted interceptor answering every judge call; `calls` records which gate asked. */
export function startFakeJudge(script: JudgeScript | (() => JudgeScript)) {
  const calls: { gate: "semantic" | "review"; prompt: string }[] = [];
  const scope = nock(new URL(judgeBaseUrl).origin)
    .persist()
    .post("/v1/chat/completions")
    .reply(async (req: Request) => {
      const body = (await req.json()) as { messages: { role: string; content: string }[] };
      const system = body.messages.find((m) => m.role === "system")?.content ?? "";
      const prompt = body.messages
        .filter((m) => m.role === "user")
        .map((m) => m.content)
        .join("\n");
      const current = typeof script === "function" ? script() : script;
      if (/semantic gate/i.test(system)) {
        calls.push({ gate: "semantic", prompt });
        const s = current.semantic ?? { verdict: "yes" };
        return [
          200,
          completion(
            JSON.stringify({ confidence: 0.9, rationale: "The diff changes exactly the code the issue describes.", unrelatedPaths: [], questions: [], ...s }),
          ),
        ] as never;
      }
      calls.push({ gate: "review", prompt });
      const r = current.review ?? { decision: "approve" };
      return [200, completion(JSON.stringify({ summary: "Small, focused change.", findings: [], ...r }))] as never;
    });
  return { calls, scope };
}
