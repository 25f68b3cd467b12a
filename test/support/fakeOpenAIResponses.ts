// A loopback OpenAI Responses endpoint that scripts a Codex session: apply a patch (the freeform
// apply_patch tool when offered, else exec_command running an apply_patch heredoc), then a final
// message. Records every request so tests can check keys, secrets and that no traffic went elsewhere.
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { FakeEndpoint, RecordedRequest, ScriptedEdit } from "./fakeAnthropic.js";

export type ResponsesBehaviour =
  /** Patch the file (oldString/newString are whole lines), then finish with `finalText`. */
  | { kind: "edit"; edit: ScriptedEdit; finalText?: string }
  /** Patch a new file at an absolute path outside the working directory (refused by workspace-write). */
  | { kind: "add-outside"; absolutePath: string; finalText?: string }
  /** Answer only with a message: no tool call, no edit. */
  | { kind: "text-only"; finalText: string }
  /** Answer every turn with an HTTP error (401 for a rejected key, 429, 500...). */
  | { kind: "http-error"; status: number; message: string }
  /** Fail every turn with response.failed (a provider error the CLI reports). */
  | { kind: "fail"; message: string }
  /** Accept agent requests and never answer them (a hung provider). */
  | { kind: "hang" };

interface ToolDef {
  type: string;
  name?: string;
}
interface InputItem {
  type?: string;
  call_id?: string;
  output?: unknown;
}

type OutputItem = Record<string, unknown> & { type: string };

const PATCH_CALL = "call_fake_patch";

export async function startFakeOpenAIResponses(behaviour: ResponsesBehaviour): Promise<FakeEndpoint> {
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
      if (req.method !== "POST" || !(req.url ?? "").startsWith("/v1/responses")) {
        res.writeHead(404, { "content-type": "application/json" }).end('{"error":{"message":"not found","type":"invalid_request_error"}}');
        return;
      }
      turns += 1;
      if (behaviour.kind === "hang") return; // never answer; the socket stays open
      if (behaviour.kind === "http-error") {
        const error = { error: { message: behaviour.message, type: "invalid_request_error", code: null } };
        res.writeHead(behaviour.status, { "content-type": "application/json" }).end(JSON.stringify(error));
        return;
      }
      const body = (record.body ?? {}) as { tools?: ToolDef[]; input?: InputItem[]; model?: string };
      writeStream(res, body.model ?? "gpt-fake", behaviour, scriptTurn(behaviour, body));
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

/** The apply_patch body Codex understands; old/new are whole lines of the file. */
export function applyPatchText(edit: ScriptedEdit): string {
  const minus = edit.oldString.split("\n").map((l) => `-${l}`);
  const plus = edit.newString.split("\n").map((l) => `+${l}`);
  return ["*** Begin Patch", `*** Update File: ${edit.file}`, "@@", ...minus, ...plus, "*** End Patch"].join("\n");
}

function message(text: string): OutputItem {
  return { type: "message", id: "msg_fake_final", role: "assistant", status: "completed", content: [{ type: "output_text", text, annotations: [] }] };
}

function scriptTurn(behaviour: ResponsesBehaviour, body: { tools?: ToolDef[]; input?: InputItem[] }): OutputItem[] {
  if (behaviour.kind === "text-only") return [message(behaviour.finalText)];
  if (behaviour.kind !== "edit" && behaviour.kind !== "add-outside") return [];
  const patched = (body.input ?? []).some((i) => i.call_id === PATCH_CALL && i.type?.endsWith("_output"));
  const done = behaviour.kind === "edit" ? `Fixed ${behaviour.edit.file}.` : "Done.";
  if (patched) return [message(behaviour.finalText ?? done)];
  const tools = body.tools ?? [];
  const patch =
    behaviour.kind === "edit"
      ? applyPatchText(behaviour.edit)
      : ["*** Begin Patch", `*** Add File: ${behaviour.absolutePath}`, "+outside", "*** End Patch"].join("\n");
  if (tools.some((t) => t.type === "custom" && t.name === "apply_patch")) {
    return [{ type: "custom_tool_call", id: "ctc_fake_patch", status: "completed", call_id: PATCH_CALL, name: "apply_patch", input: patch }];
  }
  const exec = tools.find((t) => t.type === "function" && (t.name === "exec_command" || t.name === "shell"));
  if (!exec?.name) throw new Error(`fakeOpenAIResponses: no way to patch (tools: ${tools.map((t) => t.name).join(", ")})`);
  const command = `apply_patch <<'EOF'\n${patch}\nEOF\n`;
  const args = exec.name === "exec_command" ? { cmd: command } : { command: ["bash", "-lc", command] };
  return [{ type: "function_call", id: "fc_fake_patch", status: "completed", call_id: PATCH_CALL, name: exec.name, arguments: JSON.stringify(args) }];
}

const usage = {
  input_tokens: 900,
  input_tokens_details: { cached_tokens: 0 },
  output_tokens: 60,
  output_tokens_details: { reasoning_tokens: 0 },
  total_tokens: 960,
};

function writeStream(res: http.ServerResponse, model: string, behaviour: ResponsesBehaviour, items: OutputItem[]): void {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  let sequence = 0;
  const send = (type: string, data: Record<string, unknown>) =>
    res.write(`event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: sequence++, ...data })}\n\n`);
  const id = `resp_fake_${Date.now()}`;
  const base = { id, object: "response", created_at: Math.floor(Date.now() / 1000), model, output: [] as OutputItem[] };
  send("response.created", { response: { ...base, status: "in_progress" } });
  if (behaviour.kind === "fail") {
    send("response.failed", { response: { ...base, status: "failed", error: { code: "server_error", message: behaviour.message } } });
    res.end();
    return;
  }
  items.forEach((item, output_index) => {
    const itemId = String(item.id);
    if (item.type === "message") {
      const text = (item.content as { text: string }[])[0].text;
      send("response.output_item.added", { output_index, item: { ...item, status: "in_progress", content: [] } });
      send("response.content_part.added", { item_id: itemId, output_index, content_index: 0, part: { type: "output_text", text: "", annotations: [] } });
      send("response.output_text.delta", { item_id: itemId, output_index, content_index: 0, delta: text });
      send("response.output_text.done", { item_id: itemId, output_index, content_index: 0, text });
    } else if (item.type === "custom_tool_call") {
      send("response.output_item.added", { output_index, item: { ...item, status: "in_progress", input: "" } });
      send("response.custom_tool_call_input.delta", { item_id: itemId, output_index, delta: item.input });
      send("response.custom_tool_call_input.done", { item_id: itemId, output_index, input: item.input });
    } else {
      send("response.output_item.added", { output_index, item: { ...item, status: "in_progress", arguments: "" } });
      send("response.function_call_arguments.delta", { item_id: itemId, output_index, delta: item.arguments });
      send("response.function_call_arguments.done", { item_id: itemId, output_index, arguments: item.arguments });
    }
    send("response.output_item.done", { output_index, item });
  });
  send("response.completed", { response: { ...base, status: "completed", output: items, usage } });
  res.end();
}
