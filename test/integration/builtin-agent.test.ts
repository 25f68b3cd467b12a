// The built-in agent end to end: a scripted model conversation (nock, both wire formats) fixes a real
// off-by-one in a fixture repository, proven by running its `node --test` before and after.
import { execFile } from "node:child_process";
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import nock from "nock";
import { afterEach, describe, expect, it } from "vitest";
import { createBuiltinAgent } from "../../src/agents/builtin/index.js";
import { JobCancelled } from "../../src/errors.js";
import { createLlmClient } from "../../src/llm/client.js";
import { endpoints, scriptConversation, toolNamesIn, toolResultsIn, type Provider } from "../fixtures/llm/scripted.js";

const run = promisify(execFile);
const fixtureRepo = fileURLToPath(new URL("../fixtures/builtin-repo", import.meta.url));
const dirs: string[] = [];

async function makeSpawn() {
  const base = await mkdtemp(path.join(tmpdir(), "autofix-builtin-"));
  dirs.push(base);
  const spawnDir = path.join(base, "spawn");
  await cp(fixtureRepo, spawnDir, { recursive: true });
  await mkdir(path.join(spawnDir, ".git"));
  await writeFile(path.join(spawnDir, ".git", "config"), "[core]\n\tbare = false\n");
  await mkdir(path.join(spawnDir, "coverage"));
  await writeFile(path.join(spawnDir, "coverage", "lcov.info"), "TN:\n");
  const scratchDir = path.join(base, "scratch");
  await mkdir(scratchDir);
  return { spawnDir, scratchDir };
}

async function nodeTest(cwd: string): Promise<{ passed: boolean; output: string }> {
  try {
    const { stdout } = await run(process.execPath, ["--test"], { cwd, timeout: 60_000 });
    return { passed: true, output: stdout };
  } catch (err) {
    return { passed: false, output: String((err as { stdout?: string }).stdout ?? err) };
  }
}

const llmFor = (provider: Provider, extra: { timeoutMs?: number; prices?: Record<string, { inputPerMTok: number; outputPerMTok: number }> } = {}) =>
  createLlmClient({ provider, apiKey: "test-key", model: provider === "openai" ? "gpt-4.1" : "claude-sonnet-4-5", retry: { baseDelayMs: 1 }, ...extra });

afterEach(async () => {
  nock.cleanAll();
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

describe.each<Provider>(["openai", "anthropic"])("the built-in agent over %s", (provider) => {
  it("lists, reads, edits and finishes, and the repository's failing test passes afterwards", async () => {
    const { spawnDir, scratchDir } = await makeSpawn();
    const before = await nodeTest(spawnDir);
    expect(before.passed).toBe(false);
    expect(before.output).toMatch(/not ok \d+ - lastItems returns the last n items/);

    const { scope, bodies } = scriptConversation(provider, [
      { text: "Let me look at the repository.", calls: [{ name: "list_files", arguments: { dir: ".", recursive: true } }] },
      { calls: [{ name: "read_file", arguments: { path: "src/list.js" } }] },
      {
        text: "The slice starts one element too late.",
        calls: [
          { name: "edit_file", arguments: { path: "src/list.js", old_text: "list.slice(list.length - n + 1)", new_text: "list.slice(list.length - n)" } },
        ],
      },
      { calls: [{ name: "finish", arguments: { summary: "Fixed the off-by-one in lastItems: the slice now starts at length - n." } }] },
    ]);
    const agent = createBuiltinAgent({ llm: llmFor(provider), maxSteps: 60 });
    const result = await agent.run({ spawnDir, scratchDir, prompt: "Fix issue #42: lastItems returns one item too few.", timeoutMs: 60_000 });
    scope.done();

    expect(result).toMatchObject({ agent: "builtin", exitCode: 0, timedOut: false, isolation: "in-process", stopReason: undefined });
    expect(result.summary).toBe("Fixed the off-by-one in lastItems: the slice now starts at length - n.");
    expect(result.usage).toEqual({ inputTokens: 4_000, outputTokens: 200 });
    expect(result.outputTail).toMatch(/→ list_files/);
    expect(result.outputTail).toMatch(/→ edit_file src\/list.js/);

    // what the model was shown along the way
    expect(toolNamesIn(provider, bodies[0]).sort()).toEqual(["edit_file", "finish", "list_files", "read_file", "search", "write_file"]);
    const listing = toolResultsIn(provider, bodies[1])[0];
    expect(listing.split("\n")).toEqual(expect.arrayContaining(["src/", "src/list.js", "test/list.test.js", "package.json", ".gitignore"]));
    expect(listing).not.toMatch(/\.git\/|coverage/);
    const reading = toolResultsIn(provider, bodies[2])[1];
    expect(reading).toContain("src/list.js (lines 1-13 of 13)");
    expect(reading).toContain(" 6│  return list.slice(list.length - n + 1);");
    expect(toolResultsIn(provider, bodies[3])[2]).toMatch(/^Edited src\/list.js at line 6/);

    const after = await nodeTest(spawnDir);
    expect(after.output).toMatch(/# fail 0/);
    expect(after.passed).toBe(true);
  });
});

describe("the built-in agent's bounds", () => {
  it("stops at the step limit with a clear reason and makes no further model call", async () => {
    const { spawnDir, scratchDir } = await makeSpawn();
    const { origin, path: endpoint } = endpoints.openai;
    const turns = scriptConversation("openai", [
      {
        calls: [
          { name: "list_files", arguments: {} },
          { name: "list_files", arguments: { dir: "src" } },
        ],
      },
      { calls: [{ name: "list_files", arguments: { dir: "test" } }] },
      { calls: [{ name: "read_file", arguments: { path: "README.md" } }] },
    ]);
    const extra = nock(origin).post(endpoint).reply(500);
    const result = await createBuiltinAgent({ llm: llmFor("openai"), maxSteps: 3 }).run({ spawnDir, scratchDir, prompt: "loop", timeoutMs: 60_000 });
    turns.scope.done();
    expect(extra.isDone()).toBe(false);
    expect(result.stopReason).toBe("step limit of 3 reached");
    expect(result.exitCode).toBe(1);
    expect(result.outputTail).toMatch(/stopped: step limit of 3 reached$/);
  });

  it("stops when the token budget is used up", async () => {
    const { spawnDir, scratchDir } = await makeSpawn();
    const { scope } = scriptConversation("anthropic", [
      { calls: [{ name: "list_files", arguments: {} }], inputTokens: 6_000, outputTokens: 100 },
      { calls: [{ name: "read_file", arguments: { path: "src/list.js" } }], inputTokens: 7_000, outputTokens: 100 },
    ]);
    const result = await createBuiltinAgent({ llm: llmFor("anthropic"), maxSteps: 60, maxTokens: 10_000 }).run({
      spawnDir,
      scratchDir,
      prompt: "p",
      timeoutMs: 60_000,
    });
    scope.done();
    expect(result.stopReason).toBe("token budget of 10,000 tokens used up (13,200 used)");
    expect(result.usage).toEqual({ inputTokens: 13_000, outputTokens: 200 });
  });

  it("stops when the cost budget is used up, counting from the price table", async () => {
    const { spawnDir, scratchDir } = await makeSpawn();
    const { scope } = scriptConversation("openai", [{ calls: [{ name: "list_files", arguments: {} }], inputTokens: 200_000, outputTokens: 10_000 }]);
    const llm = llmFor("openai", { prices: { "gpt-4.1": { inputPerMTok: 2, outputPerMTok: 8 } } });
    const result = await createBuiltinAgent({ llm, maxSteps: 60, maxCostUsd: 0.25 }).run({ spawnDir, scratchDir, prompt: "p", timeoutMs: 60_000 });
    scope.done();
    expect(result.stopReason).toBe("cost budget of $0.25 used up ($0.48 spent)");
    expect(result.usage?.costUsd).toBeCloseTo(0.48, 10);
  });

  it("reports a timeout when the attempt's wall-clock limit passes during a model call", async () => {
    const { spawnDir, scratchDir } = await makeSpawn();
    nock(endpoints.openai.origin).post(endpoints.openai.path).delay(5_000).reply(200, {});
    const result = await createBuiltinAgent({ llm: llmFor("openai", { timeoutMs: 30_000 }), maxSteps: 60 }).run({
      spawnDir,
      scratchDir,
      prompt: "p",
      timeoutMs: 300,
    });
    expect(result.timedOut).toBe(true);
    expect(result.exitCode).toBeNull();
    expect(result.stopReason).toMatch(/the agent ran longer than/);
  });

  it("throws JobCancelled when the job is cancelled mid-conversation", async () => {
    const { spawnDir, scratchDir } = await makeSpawn();
    nock(endpoints.openai.origin).post(endpoints.openai.path).delay(5_000).reply(200, {});
    const controller = new AbortController();
    setTimeout(() => controller.abort("the issue was closed"), 50);
    const error = await createBuiltinAgent({ llm: llmFor("openai"), maxSteps: 60 })
      .run({ spawnDir, scratchDir, prompt: "p", timeoutMs: 60_000, signal: controller.signal })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JobCancelled);
    expect((error as Error).message).toMatch(/the issue was closed/);
  });

  it("elides the oldest tool outputs, visibly, when the conversation outgrows its context budget", async () => {
    const { spawnDir, scratchDir } = await makeSpawn();
    const read = { name: "read_file", arguments: { path: "test/list.test.js" } };
    const { scope, bodies } = scriptConversation("openai", [
      { calls: [read] },
      { calls: [read] },
      { calls: [read] },
      { calls: [read] },
      { calls: [{ name: "finish", arguments: { summary: "done" } }] },
    ]);
    const result = await createBuiltinAgent({ llm: llmFor("openai"), maxSteps: 60, maxHistoryChars: 1_000 }).run({
      spawnDir,
      scratchDir,
      prompt: "p",
      timeoutMs: 60_000,
    });
    scope.done();
    const early = toolResultsIn("openai", bodies[1]);
    expect(early[0]).toMatch(/^test\/list\.test\.js \(lines 1-15 of 15\)/);
    const late = toolResultsIn("openai", bodies[4]);
    expect(late[0]).toMatch(/^\[earlier output elided by autofix to save context: [\d,]+ characters; call read_file again if you still need it\]/);
    expect(late[3]).toMatch(/^test\/list\.test\.js \(lines 1-15 of 15\)/);
    expect(result.outputTail).toMatch(/note: elided 1 earlier tool output/);
  });

  it("elides old write_file contents from the replayed tool calls, never the file on disk", async () => {
    const { spawnDir, scratchDir } = await makeSpawn();
    const content = `// generated notes\n${"note line\n".repeat(200)}`;
    const read = { name: "read_file", arguments: { path: "src/list.js" } };
    const { scope, bodies } = scriptConversation("anthropic", [
      { calls: [{ name: "write_file", arguments: { path: "NOTES.md", content } }] },
      { calls: [read] },
      { calls: [read] },
      { calls: [read] },
      { calls: [{ name: "finish", arguments: { summary: "done" } }] },
    ]);
    await createBuiltinAgent({ llm: llmFor("anthropic"), maxSteps: 60, maxHistoryChars: 1_500 }).run({ spawnDir, scratchDir, prompt: "p", timeoutMs: 60_000 });
    scope.done();
    const replayedWrite = (body: any) => body.messages[1].content.find((b: any) => b.type === "tool_use").input.content;
    expect(replayedWrite(bodies[1])).toBe(content);
    expect(replayedWrite(bodies[4])).toBe("[earlier output elided by autofix: 2,019 characters]");
    expect(await readFile(path.join(spawnDir, "NOTES.md"), "utf8")).toBe(content);
  });

  it("turns the configured protected paths into tool errors inside the loop", async () => {
    const { spawnDir, scratchDir } = await makeSpawn();
    const { scope, bodies } = scriptConversation("openai", [
      { calls: [{ name: "write_file", arguments: { path: ".github/workflows/ci.yml", content: "on: push\n" } }] },
      { text: "Understood, leaving CI alone." },
    ]);
    await createBuiltinAgent({ llm: llmFor("openai"), maxSteps: 5, protectedPaths: [".github/workflows/**"] }).run({
      spawnDir,
      scratchDir,
      prompt: "p",
      timeoutMs: 60_000,
    });
    scope.done();
    expect(toolResultsIn("openai", bodies[1])[0]).toMatch(/^Error: "\.github\/workflows\/ci\.yml" is protected/);
  });

  it("ends with the model's refusal as the stop reason", async () => {
    const { spawnDir, scratchDir } = await makeSpawn();
    const { scope } = scriptConversation("anthropic", [{ text: "I can't help with that.", stop: "refusal" }]);
    const result = await createBuiltinAgent({ llm: llmFor("anthropic"), maxSteps: 60 }).run({ spawnDir, scratchDir, prompt: "p", timeoutMs: 60_000 });
    scope.done();
    expect(result.exitCode).toBe(1);
    expect(result.stopReason).toBe("the model refused to continue: I can't help with that.");
  });
});
