// The built-in agent's tools on a real directory: confinement to the spawn (escapes, .git, symlinks out),
// exact edits with clear errors, and run_command limited to allow-listed programs.
import { execFile } from "node:child_process";
import { cp, mkdir, mkdtemp, readFile, realpath, rm, symlink, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import nock from "nock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createBuiltinAgent, createToolset, type RunCommand, type ToolOutcome } from "../../src/agents/builtin/index.js";
import { searchLimits } from "../../src/agents/builtin/search.js";
import { createLlmClient } from "../../src/llm/client.js";
import { scriptConversation, toolNamesIn, toolResultsIn } from "../fixtures/llm/scripted.js";

const fixtureRepo = fileURLToPath(new URL("../fixtures/builtin-repo", import.meta.url));
let base: string;
let root: string;
let outside: string;

beforeEach(async () => {
  base = await realpath(await mkdtemp(path.join(tmpdir(), "autofix-tools-")));
  root = path.join(base, "spawn");
  outside = path.join(base, "outside");
  await cp(fixtureRepo, root, { recursive: true });
  await mkdir(path.join(root, ".git"));
  await writeFile(path.join(root, ".git", "config"), '[remote "origin"]\n\turl = https://example.invalid/repo.git\n');
  await mkdir(outside);
  await writeFile(path.join(outside, "secret.txt"), "TOKEN=ghs_outside_secret\n");
});
afterEach(async () => {
  nock.cleanAll();
  await rm(base, { recursive: true, force: true });
});

let callId = 0;
async function call(
  name: string,
  args: Record<string, unknown>,
  options: Parameters<typeof createToolset>[0] = { allowCommands: [], commandTimeoutMs: 10_000 },
) {
  const outcome: ToolOutcome = await createToolset(options).execute({ root }, { id: `c${++callId}`, name, arguments: args });
  if (outcome.kind !== "result") throw new Error(`expected a tool result, got ${outcome.kind}`);
  return outcome;
}

describe("confinement to the spawn", () => {
  it.each([
    ["../../etc/passwd", /points outside the repository/],
    ["/etc/passwd", /is an absolute path/],
    ["src/../../outside/secret.txt", /points outside the repository/],
    [".git/config", /inside \.git, which is off limits/],
    ["src/../.git/config", /inside \.git/],
    [".GIT/config", /inside \.git/],
  ])("refuses to read %s with a tool error the model can read", async (requested, message) => {
    const result = await call("read_file", { path: requested });
    expect(result.isError).toBe(true);
    expect(result.content).toMatch(message);
    expect(result.content).not.toContain("ghs_outside_secret");
  });

  it("refuses symlinks that lead outside, for reading, listing, searching, writing and editing", async () => {
    await symlink(path.join(outside, "secret.txt"), path.join(root, "secret-link.txt"));
    await symlink(outside, path.join(root, "outlink"));
    for (const [name, args] of [
      ["read_file", { path: "secret-link.txt" }],
      ["read_file", { path: "outlink/secret.txt" }],
      ["list_files", { dir: "outlink" }],
      ["search", { pattern: "TOKEN", path: "outlink" }],
      ["write_file", { path: "outlink/planted.txt", content: "x" }],
      ["write_file", { path: "secret-link.txt", content: "overwritten" }],
      ["edit_file", { path: "secret-link.txt", old_text: "TOKEN", new_text: "X" }],
    ] as const) {
      const result = await call(name, args);
      expect(result.isError, `${name} ${JSON.stringify(args)}`).toBe(true);
      expect(result.content).toMatch(/symbolic link.*outside the repository/);
    }
    expect(existsSync(path.join(outside, "planted.txt"))).toBe(false);
    expect(await readFile(path.join(outside, "secret.txt"), "utf8")).toBe("TOKEN=ghs_outside_secret\n");
  });

  it("refuses writes to paths the gates protect, before the model spends an attempt on them", async () => {
    const isProtected = (p: string) => p.startsWith(".github/") || p === "vitest.config.ts";
    const tools = createToolset({ allowCommands: [], commandTimeoutMs: 1 });
    const write = await tools.execute(
      { root, isProtected },
      { id: "w", name: "write_file", arguments: { path: ".github/workflows/ci.yml", content: "on: push" } },
    );
    expect(write).toMatchObject({ kind: "result", isError: true });
    expect((write as { content: string }).content).toMatch(/"\.github\/workflows\/ci\.yml" is protected by the repository's autofix configuration/);
    expect(existsSync(path.join(root, ".github"))).toBe(false);
    const read = await tools.execute({ root, isProtected }, { id: "r", name: "read_file", arguments: { path: "package.json" } });
    expect(read).toMatchObject({ isError: false });
  });

  it("refuses a symlink into .git and never writes .git", async () => {
    await symlink(".git/config", path.join(root, "config-link"));
    expect((await call("read_file", { path: "config-link" })).content).toMatch(/leads into \.git/);
    expect((await call("write_file", { path: ".git/hooks/post-checkout", content: "#!/bin/sh\ncurl evil" })).content).toMatch(/off limits/);
    expect(existsSync(path.join(root, ".git", "hooks"))).toBe(false);
  });

  it("lists and searches without entering .git, ignored paths or symlinked directories", async () => {
    await mkdir(path.join(root, "node_modules", "dep"), { recursive: true });
    await writeFile(path.join(root, "node_modules", "dep", "index.js"), "export const lastItems = 1;\n");
    await writeFile(path.join(root, "debug.log"), "lastItems crashed\n");
    await symlink(outside, path.join(root, "outlink"));
    const listing = (await call("list_files", { recursive: true })).content.split("\n");
    expect(listing).toContain("outlink (symlink)");
    expect(listing.some((l) => /\.git\/|node_modules|debug\.log|secret/.test(l))).toBe(false);
    await writeFile(path.join(outside, "more.txt"), "lastItems outside\n");
    const found = (await call("search", { pattern: "lastItems" })).content;
    expect(found).toMatch(/^src\/list\.js:4: export function lastItems/m);
    expect(found).toMatch(/^test\/list\.test\.js:/m);
    expect(found).not.toMatch(/node_modules|debug\.log|outside/);
  });
});

describe("search", () => {
  it("stops a catastrophic pattern at its deadline with a tool error, leaving the process responsive", async () => {
    await writeFile(path.join(root, "src", "evil.txt"), `${"a".repeat(40)}!\n`);
    const saved = searchLimits.timeoutMs;
    searchLimits.timeoutMs = 300;
    try {
      let ticks = 0;
      const ticker = setInterval(() => ticks++, 20);
      const result = await call("search", { pattern: "^(a+)+$", path: "src" });
      clearInterval(ticker);
      expect(result.isError).toBe(true);
      expect(result.content).toMatch(/took longer than 0.3 s and was stopped. Use a simpler pattern/);
      // the event loop kept turning while the worker was stuck
      expect(ticks).toBeGreaterThan(3);
    } finally {
      searchLimits.timeoutMs = saved;
    }
  });

  it("reports invalid patterns and stops at the match bound with a marker", async () => {
    expect((await call("search", { pattern: "(unclosed" })).content).toMatch(/not a valid regular expression/);
    await writeFile(path.join(root, "many.txt"), "hit\n".repeat(150));
    const result = (await call("search", { pattern: "^hit$", path: "many.txt" })).content.split("\n");
    expect(result).toHaveLength(101);
    expect(result[100]).toBe("[… stopped at 100 matches; narrow the pattern or the path]");
  });
});

describe("editing", () => {
  it("explains a missing search text and an ambiguous one, leaving the file untouched", async () => {
    const before = await readFile(path.join(root, "src/list.js"), "utf8");
    const missing = await call("edit_file", { path: "src/list.js", old_text: "list.slice(list.length - n - 1)", new_text: "x" });
    expect(missing).toMatchObject({ isError: true });
    expect(missing.content).toMatch(/old_text was not found in src\/list\.js.*copy the text exactly/);
    const ambiguous = await call("edit_file", { path: "src/list.js", old_text: "if (n <= 0) return [];", new_text: "" });
    expect(ambiguous.content).toMatch(/occurs 2 times in src\/list\.js\. Add surrounding lines/);
    expect(await readFile(path.join(root, "src/list.js"), "utf8")).toBe(before);
  });

  it("points at the near miss when only indentation differs", async () => {
    const result = await call("edit_file", { path: "src/list.js", old_text: "    return list.slice(list.length - n + 1);\n    }", new_text: "x" });
    expect(result.content).toMatch(/first line matches line 6 when whitespace is ignored.*read lines 6-7 and copy them exactly/);
  });

  it("keeps CRLF line endings when the model writes plain newlines", async () => {
    await writeFile(path.join(root, "win.txt"), "alpha\r\nbeta\r\ngamma\r\n");
    const result = await call("edit_file", { path: "win.txt", old_text: "alpha\nbeta", new_text: "alpha\nBETA\nbeta2" });
    expect(result.isError).toBe(false);
    expect(await readFile(path.join(root, "win.txt"), "utf8")).toBe("alpha\r\nBETA\r\nbeta2\r\ngamma\r\n");
  });

  it("writes new files with their directories and reads them back with line numbers and ranges", async () => {
    const content = Array.from({ length: 30 }, (_, i) => `line ${i + 1}`).join("\n") + "\n";
    expect((await call("write_file", { path: "docs/notes/a.md", content })).content).toBe("Created docs/notes/a.md (231 bytes, 30 lines).");
    const read = await call("read_file", { path: "docs/notes/a.md", start_line: 9, end_line: 11 });
    expect(read.content).toBe("docs/notes/a.md (lines 9-11 of 30)\n 9│line 9\n10│line 10\n11│line 11\n[… more below: call read_file with start_line=12]");
  });

  it("answers bad arguments, unknown tools and binary files with errors instead of crashing", async () => {
    expect((await call("read_file", {})).content).toMatch(/^Error: Invalid arguments for read_file/);
    expect((await call("delete_everything", {})).content).toMatch(/no tool named "delete_everything"/);
    await writeFile(path.join(root, "logo.png"), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x00]));
    expect((await call("read_file", { path: "logo.png" })).content).toMatch(/binary file/);
    const broken = await createToolset({ allowCommands: [], commandTimeoutMs: 1 }).execute(
      { root },
      { id: "x", name: "read_file", arguments: {}, argumentsError: "The arguments are not valid JSON: Unexpected end" },
    );
    expect(broken).toMatchObject({ kind: "result", isError: true });
  });
});

describe("run_command", () => {
  const runReal: RunCommand = (argv, cwd, timeoutMs) =>
    new Promise((resolve) => {
      execFile(argv[0] === "node" ? process.execPath : argv[0], argv.slice(1), { cwd, timeout: timeoutMs }, (err, stdout, stderr) => {
        const code = err ? ((err as { code?: unknown }).code as number) : 0;
        resolve({ exitCode: typeof code === "number" ? code : 1, outputTail: `${stdout}${stderr}`.slice(-2_000) });
      });
    });

  it("is offered only when a runner is wired and programs are allowed", () => {
    const names = (o: Parameters<typeof createToolset>[0]) => createToolset(o).specs.map((s) => s.name);
    expect(names({ allowCommands: ["node"], commandTimeoutMs: 1 })).not.toContain("run_command");
    expect(names({ allowCommands: [], runCommand: runReal, commandTimeoutMs: 1 })).not.toContain("run_command");
    expect(names({ allowCommands: ["node"], runCommand: runReal, commandTimeoutMs: 1 })).toContain("run_command");
  });

  it("refuses programs that are not allow-listed and runs those that are", async () => {
    const options = { allowCommands: ["node"], runCommand: runReal, commandTimeoutMs: 60_000 };
    const refused = await call("run_command", { argv: ["curl", "https://evil.example"] }, options);
    expect(refused.content).toBe('Error: "curl" is not allowed. Allowed programs: node.');
    const viaPath = await call("run_command", { argv: ["/usr/bin/node", "--version"] }, options);
    expect(viaPath.isError).toBe(true);
    const tests = await call("run_command", { argv: ["node", "--test"] }, options);
    expect(tests.content).toMatch(/^node --test exited with code 1\./);
    expect(tests.content).toMatch(/# fail 1/);
  });
});

describe("in the loop", () => {
  it("hands a refused path back to the model and carries on to the fix", async () => {
    const { scope, bodies } = scriptConversation("openai", [
      {
        calls: [
          { name: "read_file", arguments: { path: "../../etc/passwd" } },
          { name: "read_file", arguments: { path: "/etc/passwd" } },
        ],
      },
      { calls: [{ name: "edit_file", arguments: { path: "src/list.js", old_text: "list.length - n + 1", new_text: "list.length - n" } }] },
      { calls: [{ name: "run_command", arguments: { argv: ["node", "--test"] } }] },
      { text: "Fixed: tests pass." },
    ]);
    const runner: RunCommand = async (argv, cwd) => {
      const { stdout } = await new Promise<{ stdout: string }>((resolve) =>
        execFile(process.execPath, argv.slice(1), { cwd }, (_e, stdout) => resolve({ stdout })),
      );
      return { exitCode: /# fail 0/.test(stdout) ? 0 : 1, outputTail: stdout.slice(-500) };
    };
    const llm = createLlmClient({ provider: "openai", apiKey: "k", model: "gpt-4.1" });
    const result = await createBuiltinAgent({ llm, maxSteps: 10, allowCommands: ["node"], runCommand: runner }).run({
      spawnDir: root,
      scratchDir: outside,
      prompt: "fix",
      timeoutMs: 60_000,
    });
    scope.done();
    expect(toolNamesIn("openai", bodies[0])).toContain("run_command");
    const [outsideRead, absoluteRead] = toolResultsIn("openai", bodies[1]);
    expect(outsideRead).toMatch(/^Error: "\.\.\/\.\.\/etc\/passwd" points outside the repository/);
    expect(absoluteRead).toMatch(/^Error: "\/etc\/passwd" is an absolute path/);
    expect(toolResultsIn("openai", bodies[3])[3]).toMatch(/^node --test exited with code 0\./);
    expect(result).toMatchObject({ exitCode: 0, summary: "Fixed: tests pass." });
  });
});
