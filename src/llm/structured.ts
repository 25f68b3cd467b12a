// Structured output: the schema is described to the model, the JSON is extracted and validated with zod;
// one corrective turn shows the model its error, then a typed error. Never a guessed value.
import { z } from "zod";
import { LlmOutputInvalid, LlmRefused } from "./errors.js";
import type { ChatMessage, Completion, CompletionRequest, LlmClient, Usage } from "./types.js";
import { addUsage } from "./usage.js";

type StructuredRequest = Parameters<LlmClient["structured"]>[1];

export async function completeStructured<T>(
  complete: (request: CompletionRequest) => Promise<Completion>,
  provider: "openai" | "anthropic",
  schema: z.ZodType<T>,
  request: StructuredRequest,
): Promise<{ value: T; usage: Usage; model: string }> {
  const system = `${request.system}\n\n${describeSchema(schema)}`;
  const messages: ChatMessage[] = [{ role: "user", content: request.prompt }];
  const problems: string[] = [];
  let usage: Usage = { inputTokens: 0, outputTokens: 0 };
  for (let turn = 0; turn < 2; turn++) {
    const completion = await complete({
      system,
      messages,
      model: request.model,
      signal: request.signal,
      maxOutputTokens: request.maxOutputTokens,
    });
    usage = addUsage(usage, completion.usage);
    if (completion.stopReason === "refusal") throw new LlmRefused(provider, completion.model, completion.text);
    const outcome = validate(schema, completion);
    if (outcome.ok) return { value: outcome.value, usage, model: completion.model };
    problems.push(outcome.problem);
    if (turn === 1) throw new LlmOutputInvalid(completion.model, problems, completion.text);
    messages.push(
      { role: "assistant", content: completion.text || "(empty answer)" },
      {
        role: "user",
        content: `Your answer could not be used: ${outcome.problem}\nReply again with only the corrected JSON object, matching the schema, and nothing else.`,
      },
    );
  }
  // Unreachable: the loop returns or throws on its second turn.
  throw new LlmOutputInvalid(request.model ?? "unknown", problems, "");
}

function describeSchema(schema: z.ZodType): string {
  let jsonSchema = "";
  try {
    jsonSchema = JSON.stringify(z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }));
  } catch {
    // A schema zod cannot express as JSON Schema is still enforced on the answer.
  }
  return [
    "Answer with a single JSON object and nothing else: no prose before or after it.",
    jsonSchema ? `The object must match this JSON Schema:\n${jsonSchema}` : "",
  ]
    .filter(Boolean)
    .join("\n");
}

function validate<T>(schema: z.ZodType<T>, completion: Completion): { ok: true; value: T } | { ok: false; problem: string } {
  if (completion.stopReason === "max_tokens") {
    return { ok: false, problem: "the answer was cut off at the output token limit. Give a shorter JSON object." };
  }
  const extracted = extractJson(completion.text);
  if ("error" in extracted) return { ok: false, problem: extracted.error };
  const parsed = schema.safeParse(extracted.value);
  if (parsed.success) return { ok: true, value: parsed.data };
  return { ok: false, problem: `the JSON does not match the schema:\n${z.prettifyError(parsed.error).slice(0, 2_000)}` };
}

/**
 * The JSON object in a model's answer: the whole text, a ```json fence, the outermost braces, or the
 * first balanced `{...}` that parses (prose around the object may itself contain braces).
 */
export function extractJson(text: string): { value: unknown } | { error: string } {
  const candidates: string[] = [text.trim()];
  const fence = /```(?:json)?[ \t]*\r?\n?([\s\S]*?)```/i.exec(text);
  if (fence) candidates.push(fence[1].trim());
  const first = text.indexOf("{");
  if (first === -1) return { error: "the answer contains no JSON object." };
  const last = text.lastIndexOf("}");
  if (last > first) candidates.push(text.slice(first, last + 1));
  let firstError: string | undefined;
  for (const candidate of candidates) {
    if (!candidate) continue;
    try {
      return { value: JSON.parse(candidate) };
    } catch (err) {
      firstError ??= candidate === text.trim() && candidates.length > 1 ? undefined : (err as Error).message;
    }
  }
  for (const candidate of balancedObjects(text, 20)) {
    try {
      return { value: JSON.parse(candidate) };
    } catch {
      // try the next one
    }
  }
  return { error: `the answer is not valid JSON (${firstError ?? "no parsable object"}).` };
}

/** Substrings from a `{` to its matching `}`, skipping braces inside JSON strings; at most `limit` starts. */
function* balancedObjects(text: string, limit: number): Generator<string> {
  let starts = 0;
  for (let start = text.indexOf("{"); start !== -1 && starts < limit; start = text.indexOf("{", start + 1), starts++) {
    let depth = 0;
    let inString = false;
    for (let i = start; i < text.length; i++) {
      const ch = text[i];
      if (inString) {
        if (ch === "\\") i++;
        else if (ch === '"') inString = false;
      } else if (ch === '"') inString = true;
      else if (ch === "{") depth++;
      else if (ch === "}" && --depth === 0) {
        yield text.slice(start, i + 1);
        break;
      }
    }
  }
}
