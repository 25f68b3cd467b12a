// A loopback Anthropic Messages endpoint that scripts a Claude Code session: Read the target file,
// Edit it, finish with text. It adapts to the tool names and schemas the CLI actually sends and
// records every request so tests can check keys, secrets and that no traffic went elsewhere.
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";

export interface RecordedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  /** Raw body text (secrets are searched here). */
  bodyText: string;
  body?: unknown;
}

export interface ScriptedEdit {
  /** Path relative to the agent's working directory. */
  file: string;
  oldString: string;
  newString: string;
}

export type AnthropicBehaviour =
  /** Read the file, Edit it, finish with `finalText`. */
  | { kind: "edit"; edit: ScriptedEdit; finalText?: string }
  /** Ask to Write a file outside the working directory (refused under acceptEdits), then give up. */
  | { kind: "write-outside"; absolutePath: string; finalText?: string }
  /** Run each command with the Bash tool, one per turn, then finish with `finalText`. */
  | { kind: "bash"; commands: string[]; finalText?: string }
  /** Answer only with text: no tool call, no edit. */
  | { kind: "text-only"; finalText: string }
  /** Refuse every agent request with an API error (400 invalid_request_error, 401 authentication_error...). */
  | { kind: "api-error"; status: number; type: string; message: string }
  /** Accept agent requests and never answer them (a hung provider). */
  | { kind: "hang" };

/** What the CLI sent back for each tool call, by tool_use id (the text of its tool_result blocks). */
export function toolResults(requests: RecordedRequest[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const r of requests) {
    const messages = ((r.body ?? {}) as { messages?: { role: string; content: unknown }[] }).messages ?? [];
    for (const m of messages) {
      if (m.role !== "user" || !Array.isArray(m.content)) continue;
      for (const b of m.content as { type: string; tool_use_id?: string; content?: unknown; is_error?: boolean }[]) {
        if (b.type !== "tool_result" || !b.tool_use_id) continue;
        const text =
          typeof b.content === "string" ? b.content : Array.isArray(b.content) ? (b.content as { text?: string }[]).map((c) => c.text ?? "").join("") : "";
        out[b.tool_use_id] = `${b.is_error ? "[error] " : ""}${text}`;
      }
    }
  }
  return out;
}

export interface FakeEndpoint {
  /** Base URL without a path, e.g. http://127.0.0.1:1234 */
  baseUrl: string;
  requests: RecordedRequest[];
  /** Agent-loop requests (those carrying tools) that were answered or left hanging. */
  agentTurns(): number;
  close(): Promise<void>;
}

interface ToolDef {
  name: string;
  input_schema?: { properties?: Record<string, unknown> };
}
interface Message {
  role: string;
  content: string | { type: string; name?: string; id?: string; tool_use_id?: string }[];
}

type Block = { type: "text"; text: string } | { type: "tool_use"; id: string; name: string; input: Record<string, unknown> };

export async function startFakeAnthropic(behaviour: AnthropicBehaviour): Promise<FakeEndpoint> {
  const requests: RecordedRequest[] = [];
  let turns = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const bodyText = Buffer.concat(chunks).toString("utf8");
      const record: RecordedRequest = { method: req.method ?? "", url: req.url ?? "", headers: req.headers, bodyText };
      try {
        record.body = bodyText ? JSON.parse(bodyText) : undefined;
      } catch {
        // keep the raw text only
      }
      requests.push(record);
      if (req.method !== "POST" || !(req.url ?? "").startsWith("/v1/messages")) {
        res.writeHead(404, { "content-type": "application/json" }).end('{"type":"error","error":{"type":"not_found_error","message":"not found"}}');
        return;
      }
      const body = (record.body ?? {}) as { tools?: ToolDef[]; messages?: Message[]; system?: unknown; stream?: boolean; model?: string };
      const tools = body.tools ?? [];
      const isAgentLoop = tools.some((t) => t.name === "Edit" || hasProps(t, ["old_string", "new_string"]));
      let blocks: Block[];
      if (!isAgentLoop) {
        // Side requests (title, topic, quota checks): a short text answer is enough.
        blocks = [{ type: "text", text: "ok" }];
      } else {
        turns += 1;
        if (behaviour.kind === "hang") return; // never answer; the socket stays open
        if (behaviour.kind === "api-error") {
          const error = { type: "error", error: { type: behaviour.type, message: behaviour.message } };
          res.writeHead(behaviour.status, { "content-type": "application/json" }).end(JSON.stringify(error));
          return;
        }
        blocks = scriptTurn(behaviour, body, tools);
      }
      const model = body.model ?? "claude-fake";
      if (body.stream) writeStream(res, model, blocks);
      else writeJson(res, model, blocks);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    agentTurns: () => turns,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function hasProps(tool: ToolDef, names: string[]): boolean {
  const props = tool.input_schema?.properties ?? {};
  return names.every((n) => n in props);
}

/** The tool the CLI offers for a role, by its usual name or else by the shape of its schema. */
function findTool(tools: ToolDef[], name: string, props: string[]): ToolDef {
  const found = tools.find((t) => t.name === name) ?? tools.find((t) => hasProps(t, props));
  if (!found) throw new Error(`fakeAnthropic: the CLI offered no ${name} tool (tools: ${tools.map((t) => t.name).join(", ")})`);
  return found;
}

/** The tool_use ids the assistant already issued, oldest first. */
function issuedToolIds(messages: Message[]): string[] {
  const ids: string[] = [];
  for (const m of messages) {
    if (m.role !== "assistant" || typeof m.content === "string") continue;
    for (const b of m.content) if (b.type === "tool_use" && b.id) ids.push(b.id);
  }
  return ids;
}

/** Claude Code states its working directory in the system prompt; the sandbox may remap it. */
function workingDirectory(body: { system?: unknown; messages?: Message[] }): string {
  const text = JSON.stringify(body.system ?? "") + JSON.stringify(body.messages ?? []);
  const match = /(?:Primary working directory|Working directory|cwd):\s*([^\s"\\]+)/.exec(text);
  if (!match) throw new Error("fakeAnthropic: no working directory in the request");
  return match[1];
}

function scriptTurn(behaviour: AnthropicBehaviour, body: { messages?: Message[]; system?: unknown }, tools: ToolDef[]): Block[] {
  const issued = issuedToolIds(body.messages ?? []);
  if (behaviour.kind === "text-only") return [{ type: "text", text: behaviour.finalText }];
  if (behaviour.kind === "write-outside") {
    if (issued.includes("toolu_fake_write")) return [{ type: "text", text: behaviour.finalText ?? "I was not allowed to write the file." }];
    const write = findTool(tools, "Write", ["file_path", "content"]);
    return [
      { type: "text", text: "I will write the file." },
      { type: "tool_use", id: "toolu_fake_write", name: write.name, input: { file_path: behaviour.absolutePath, content: "outside\n" } },
    ];
  }
  if (behaviour.kind === "bash") {
    const next = behaviour.commands.findIndex((_, i) => !issued.includes(`toolu_fake_bash_${i}`));
    if (next < 0) return [{ type: "text", text: behaviour.finalText ?? "Done." }];
    const bash = findTool(tools, "Bash", ["command"]);
    return [
      { type: "tool_use", id: `toolu_fake_bash_${next}`, name: bash.name, input: { command: behaviour.commands[next], description: "inspect the repository" } },
    ];
  }
  if (behaviour.kind !== "edit") return [];
  const file = path.posix.join(workingDirectory(body), behaviour.edit.file);
  if (!issued.includes("toolu_fake_read")) {
    const read = findTool(tools, "Read", ["file_path"]);
    return [
      { type: "text", text: `Let me look at ${behaviour.edit.file}.` },
      { type: "tool_use", id: "toolu_fake_read", name: read.name, input: { file_path: file } },
    ];
  }
  if (!issued.includes("toolu_fake_edit")) {
    const edit = findTool(tools, "Edit", ["file_path", "old_string", "new_string"]);
    return [
      {
        type: "tool_use",
        id: "toolu_fake_edit",
        name: edit.name,
        input: { file_path: file, old_string: behaviour.edit.oldString, new_string: behaviour.edit.newString },
      },
    ];
  }
  return [{ type: "text", text: behaviour.finalText ?? `Fixed ${behaviour.edit.file}.` }];
}

const usage = { input_tokens: 1200, output_tokens: 80, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };

function stopReason(blocks: Block[]): string {
  return blocks.some((b) => b.type === "tool_use") ? "tool_use" : "end_turn";
}

function writeJson(res: http.ServerResponse, model: string, blocks: Block[]): void {
  const message = {
    id: `msg_fake_${Date.now()}`,
    type: "message",
    role: "assistant",
    model,
    content: blocks,
    stop_reason: stopReason(blocks),
    stop_sequence: null,
    usage,
  };
  res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(message));
}

function writeStream(res: http.ServerResponse, model: string, blocks: Block[]): void {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  const send = (event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  send("message_start", {
    type: "message_start",
    message: {
      id: `msg_fake_${Date.now()}`,
      type: "message",
      role: "assistant",
      model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { ...usage, output_tokens: 1 },
    },
  });
  blocks.forEach((block, index) => {
    if (block.type === "text") {
      send("content_block_start", { type: "content_block_start", index, content_block: { type: "text", text: "" } });
      send("content_block_delta", { type: "content_block_delta", index, delta: { type: "text_delta", text: block.text } });
    } else {
      send("content_block_start", { type: "content_block_start", index, content_block: { type: "tool_use", id: block.id, name: block.name, input: {} } });
      const json = JSON.stringify(block.input);
      const half = Math.floor(json.length / 2);
      // Two partial chunks, as the real API splits tool input.
      send("content_block_delta", { type: "content_block_delta", index, delta: { type: "input_json_delta", partial_json: json.slice(0, half) } });
      send("content_block_delta", { type: "content_block_delta", index, delta: { type: "input_json_delta", partial_json: json.slice(half) } });
    }
    send("content_block_stop", { type: "content_block_stop", index });
  });
  send("message_delta", {
    type: "message_delta",
    delta: { stop_reason: stopReason(blocks), stop_sequence: null },
    usage: { output_tokens: usage.output_tokens },
  });
  send("message_stop", { type: "message_stop" });
  res.end();
}
