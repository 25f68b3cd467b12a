// run_command wired to the real sandbox: the repository's tests run, and the bot's secrets stay out of reach.
import { cp, mkdtemp, realpath, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createToolset, sandboxRunCommand } from "../../src/agents/builtin/index.js";
import { createSandbox } from "../../src/sandbox/index.js";
import type { Sandbox } from "../../src/sandbox/types.js";

const fixtureRepo = fileURLToPath(new URL("../fixtures/builtin-repo", import.meta.url));
let base: string;
let root: string;
let sandbox: Sandbox;

beforeAll(async () => {
  base = await realpath(await mkdtemp(path.join(tmpdir(), "autofix-sbx-")));
  root = path.join(base, "spawn");
  await cp(fixtureRepo, root, { recursive: true });
  sandbox = await createSandbox({ mode: "auto" });
});
afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

async function runCommand(argv: string[]) {
  const tools = createToolset({ allowCommands: ["node"], runCommand: sandboxRunCommand(sandbox), commandTimeoutMs: 60_000 });
  const outcome = await tools.execute({ root }, { id: "c1", name: "run_command", arguments: { argv } });
  if (outcome.kind !== "result") throw new Error("expected a result");
  return outcome;
}

describe("run_command through the sandbox", () => {
  it("runs the repository's failing test and shows the model the failure", async () => {
    const result = await runCommand(["node", "--test"]);
    expect(result.isError).toBe(false);
    expect(result.content).toMatch(/^node --test exited with code 1\./);
    expect(result.content).toMatch(/not ok \d+ - lastItems returns the last n items/);
  });

  it("never hands the command the bot's secrets", async () => {
    const saved = { ...process.env };
    process.env.AUTOFIX_LLM_API_KEY = "sk-must-not-leak-1";
    process.env.GITHUB_TOKEN = "ghs_must_not_leak_2";
    process.env.SOME_OPERATOR_VAR = "operator-value-3";
    try {
      const result = await runCommand(["node", "-e", "console.log('ENV=' + JSON.stringify(process.env))"]);
      expect(result.content).toMatch(/exited with code 0/);
      expect(result.content).toMatch(/ENV=\{/);
      for (const secret of ["sk-must-not-leak-1", "ghs_must_not_leak_2", "operator-value-3"]) expect(result.content).not.toContain(secret);
      const printed = result.content.slice(result.content.lastIndexOf("ENV=") + 4).split("\n")[0];
      const env = JSON.parse(printed) as Record<string, string>;
      expect(env.HOME).not.toContain(root);
      expect(Object.keys(env).filter((k) => k.startsWith("AUTOFIX_") || k === "GITHUB_TOKEN")).toEqual([]);
    } finally {
      process.env = saved;
    }
  });
});
