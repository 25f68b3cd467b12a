// Keeps a long agent conversation within the model's context: the oldest tool outputs are elided
// (visibly, with a marker the model understands) before the request would overflow.
import type { ChatMessage } from "../../llm/index.js";

/** Messages at the end that are never elided: the model is acting on them. */
const keepRecentMessages = 6;
const elidedPrefix = "[earlier output elided by autofix";

function size(message: ChatMessage): number {
  const calls = message.role === "assistant" ? (message.toolCalls ?? []).reduce((n, c) => n + JSON.stringify(c.arguments).length, 0) : 0;
  return message.content.length + calls;
}

/** Elide old tool results until the conversation fits `maxChars`; returns how many were elided. */
export function compactHistory(messages: ChatMessage[], maxChars: number): number {
  let total = messages.reduce((n, m) => n + size(m), 0);
  let elided = 0;
  for (let i = 0; i < messages.length - keepRecentMessages && total > maxChars; i++) {
    const message = messages[i];
    if (message.role === "assistant" && message.toolCalls?.length) {
      // write_file contents and edit_file texts: the file on disk is the truth now, not the old call.
      const before = size(message);
      const toolCalls = message.toolCalls.map((call) => ({ ...call, arguments: elideLongStrings(call.arguments) }));
      messages[i] = { ...message, toolCalls };
      const saved = before - size(messages[i]);
      if (saved > 0) {
        total -= saved;
        elided++;
      }
      continue;
    }
    if (message.role !== "tool" || message.content.length < 300 || message.content.startsWith(elidedPrefix)) continue;
    const firstLine = message.content.split("\n", 1)[0].slice(0, 200);
    const replacement = `${elidedPrefix} to save context: ${message.content.length.toLocaleString("en-US")} characters; call ${message.name} again if you still need it] ${firstLine}`;
    total -= message.content.length - replacement.length;
    messages[i] = { ...message, content: replacement };
    elided++;
  }
  return elided;
}

function elideLongStrings(args: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(args)) {
    out[key] =
      typeof value === "string" && value.length > 300 && !value.startsWith(elidedPrefix)
        ? `${elidedPrefix}: ${value.length.toLocaleString("en-US")} characters]`
        : value;
  }
  return out;
}
