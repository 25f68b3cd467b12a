// Each way an agent can fail, as the people who read the issue and the PR meet it: the app over real
// HTTP with the real sandbox and job store; the exact words of the status comment or the PR body.
import { cpSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import nock from "nock";
import { repoRoot, runCli } from "../support/cliRunner.js";
import { git, tempDir } from "../support/repoBuilder.js";
import { labeledPayload, startAppHarness, type AppHarness, jobFinished, statusComments } from "../support/appHarness.js";
import { agentLlm, agentLlmEnv, judgeEnv, startFakeJudge } from "../support/fakeJudge.js";
import type { JobRecord } from "../../src/jobs/types.js";

const full = "octo-org/widget";
const key = `${full}#7`;

// Edits the file, then hangs: the timeout finds a partial change in the spawn.
const partialAgent = `import fs from "node:fs";
const file = "src/math.js";
fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace("a - b", "a + b"));
console.log("Fixed add(); now checking the other operators...");
setInterval(() => {}, 1000);
`;

const files = {
  "package.json": JSON.stringify({ name: "widget", type: "module" }, null, 2),
  "src/math.js": "export const add = (a, b) => a - b;\n",
  "tools/partial.mjs": partialAgent,
  "README.md": "# widget\n",
};

let h: AppHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
  nock.cleanAll();
});

async function start(config: string, env: Record<string, string> = {}, judges = true) {
  h = await startAppHarness({ files, config, env: { ...(judges ? judgeEnv : {}), ...env } });
  h.fake.addIssue(full, { number: 7, title: "add() subtracts", body: "`add(2, 3)` returns -1; it should return 5.", author: "reporter" });
  h.fake.setPermission(full, "maintainer", "write");
  return h;
}

function statusOf(harness: AppHarness): string {
  const found = statusComments(harness, full, 7);
  expect(found).toHaveLength(1);
  return found[0].body;
}

const finished = jobFinished;
const command = (cmd: string, extra = "") => `agent:\n  preset: command\n  command: ${cmd}\n${extra}limits:\n  attempts: 2\n`;

async function runIssue(harness: AppHarness): Promise<JobRecord> {
  await harness.deliver("issues", labeledPayload({ issue: 7, title: "add() subtracts" }));
  return harness.waitForJob(key, finished);
}

function agentSteps(job: JobRecord): string[] {
  return job.steps.filter((s) => /^agent-\d+$/.test(s.name)).map((s) => s.name);
}

describe("an agent that could not work is reported as such, with what to do, and spends no repair attempt", () => {
  it("authentication refused (built-in agent): the provider's message and the key setting to fix", async () => {
    const harness = await start("limits:\n  attempts: 2\n", agentLlmEnv);
    const judge = startFakeJudge({});
    const scope = nock(agentLlm.origin)
      .post(agentLlm.path)
      .reply(401, { error: { message: "Incorrect API key provided: sk-agen***3210.", type: "invalid_request_error", code: "invalid_api_key" } });
    const job = await runIssue(harness);
    scope.done();

    expect(job.outcome?.kind).toBe("error");
    expect(agentSteps(job)).toEqual(["agent-1"]);
    expect(judge.calls).toEqual([]);
    expect(harness.fake.pullsOf(full)).toHaveLength(0);
    const status = statusOf(harness);
    expect(status).toContain("⚠️ **autofix could not run the agent: its model endpoint refused the agent's credentials.**");
    expect(status).toContain("Provider error: The openai endpoint refused autofix's credentials (HTTP 401: Incorrect API key provided: sk-agen***3210.).");
    expect(status).toContain("What next: Operator: set a valid key in AUTOFIX_LLM_API_KEY");
    expect(status).not.toContain("Clarify the issue");
    expect(status).not.toContain(agentLlmEnv.AUTOFIX_LLM_API_KEY);
  });

  it("provider down (HTTP 500): the provider's own error text reaches the status comment", async () => {
    const harness = await start("limits:\n  attempts: 2\n", agentLlmEnv);
    startFakeJudge({});
    const scope = nock(agentLlm.origin)
      .post(agentLlm.path)
      .times(5)
      .reply(500, { error: { message: "The server had an error while processing your request (req_8c1f).", type: "server_error" } }, { "retry-after": "0" });
    const job = await runIssue(harness);
    scope.done();

    expect(job.outcome?.kind).toBe("error");
    expect(agentSteps(job)).toEqual(["agent-1"]);
    const status = statusOf(harness);
    expect(status).toContain("⚠️ **autofix could not run the agent: its model provider failed.**");
    expect(status).toContain("HTTP 500: The server had an error while processing your request (req_8c1f).");
    expect(status).toContain("This is not a problem with the issue, so autofix did not spend another attempt on it.");
    expect(status).toContain("What next: Comment `/autofix retry` later.");
  });

  it("CLI missing (exit 127): names the missing program and says to install it", async () => {
    const harness = await start(command("autofix-agent-not-installed --fix"));
    startFakeJudge({});
    const job = await runIssue(harness);

    expect(job.outcome?.kind).toBe("error");
    expect(agentSteps(job)).toEqual(["agent-1"]);
    const status = statusOf(harness);
    expect(status).toContain("⚠️ **autofix could not start the agent: its program was not found.**");
    expect(status).toContain('(the shell exited 127, "command not found")');
    expect(status).toContain("autofix-agent-not-installed: not found");
    expect(status).toContain("What next: Operator: install the agent's program on the autofix host, or fix `agent.command`");
  });

  it("timeout with nothing written: says the agent ran out of time and which setting to raise", async () => {
    const harness = await start(command(`node -e "setInterval(() => {}, 1000)"`, "  timeoutMinutes: 0.02\n"));
    startFakeJudge({});
    const job = await runIssue(harness);

    expect(job.outcome?.kind).toBe("error");
    expect(agentSteps(job)).toEqual(["agent-1"]);
    const status = statusOf(harness);
    expect(status).toContain("⚠️ **autofix stopped the agent: it ran out of time before it changed anything.**");
    expect(status).toContain("The command agent was stopped after agent.timeoutMinutes (0.02 min) without having written a change.");
    expect(status).toContain("Timed out: the agent ran longer than 0.02 minutes and was stopped.");
    expect(status).toContain("What next: Raise `agent.timeoutMinutes`");
  });
});

describe("an agent that worked is reported with its own words", () => {
  it("no edit: the agent's final message is shown beside 'nothing to propose'", async () => {
    const harness = await start(command(`echo "I read src/math.js and add() already looks right to me."`).replace("attempts: 2", "attempts: 1"));
    startFakeJudge({});
    const job = await runIssue(harness);

    expect(job.outcome?.kind).toBe("no-change");
    const status = statusOf(harness);
    expect(status).toContain("🤷 **autofix found nothing to propose.**");
    expect(status).toContain("What the agent reported:\n- Final message: I read src/math.js and add() already looks right to me.");
  });

  it("partial change at timeout: the PR says so at the top of its body, and the gates line is exact", async () => {
    const harness = await start(`${command("node tools/partial.mjs", "  timeoutMinutes: 0.03\n")}gates:\n  allowSkipWithoutLlm: true\n`, {}, false);
    const job = await runIssue(harness);

    expect(job.outcome?.kind).toBe("pr-opened");
    const [pr] = harness.fake.pullsOf(full);
    expect(pr.body.split("\n")[0]).toMatch(
      /^> ⏱️ \*\*Partial change: the agent ran out of time \(\d+ s\) and was stopped before it finished\.\*\* This PR holds what it had written by then; check that the change is complete before merging\.$/,
    );
    expect(pr.body).toContain("deterministic passed; semantic and review skipped (no LLM configured). This PR holds only the agent's change for this issue.");
    expect(pr.body).not.toContain("All three gates passed");
    expect(pr.body).toContain("- Timed out: the agent ran longer than 0.03 minutes and was stopped.");
    const status = statusOf(harness);
    expect(status).toContain("⏱️ **Partial change:** the agent ran out of time and was stopped; the PR holds what it had written by then.");
    expect(status).toContain("Gates: deterministic passed; semantic and review skipped (no LLM configured).");
  });
});

describe("the same failures in the CLI's text output (autofix run --local)", () => {
  let llm: http.Server | undefined;
  afterEach(async () => {
    await new Promise<void>((resolve) => (llm ? llm.close(() => resolve()) : resolve()));
    llm = undefined;
  });

  /** A loopback chat-completions endpoint answering every call with one status and body. */
  async function failingLlm(status: number, message: string): Promise<Record<string, string>> {
    llm = http.createServer((req, res) => {
      req.resume();
      req.on("end", () =>
        res.writeHead(status, { "content-type": "application/json", "retry-after": "0" }).end(JSON.stringify({ error: { message, type: "server_error" } })),
      );
    });
    await new Promise<void>((resolve) => llm!.listen(0, "127.0.0.1", resolve));
    const { port } = llm.address() as AddressInfo;
    return {
      AUTOFIX_LLM_PROVIDER: "openai",
      AUTOFIX_LLM_BASE_URL: `http://127.0.0.1:${port}/v1`,
      AUTOFIX_LLM_API_KEY: "sk-cli-test-key-0123456789",
      AUTOFIX_LLM_MODEL: "agent-model-1",
    };
  }

  function demoRepo(): string {
    const dir = path.join(tempDir("autofix-agent-failures-"), "greeter");
    cpSync(path.join(repoRoot, "examples", "demo-repo"), dir, { recursive: true });
    git(dir, "init", "-q", "-b", "main");
    git(dir, "add", "-A");
    git(dir, "commit", "-q", "-m", "first");
    return dir;
  }

  async function cli(args: string[], env: Record<string, string> = {}, configText?: string) {
    const repo = demoRepo();
    const extra: string[] = [];
    if (configText) {
      const file = path.join(tempDir("autofix-agent-failures-config-"), "autofix.yml");
      writeFileSync(file, configText);
      extra.push("--config", file);
    }
    const r = await runCli(["run", "--local", repo, "--issue-file", path.join(repoRoot, "examples", "demo-issue.md"), ...extra, ...args], {
      env: { AUTOFIX_DATA_DIR: tempDir(), ...env },
    });
    // People read this output: no raw JSON log line anywhere.
    for (const line of `${r.stdout}\n${r.stderr}`.split("\n")) expect(line.trimStart().startsWith("{")).toBe(false);
    return r;
  }

  const slowConfig = (minutes: number) => `agent:\n  preset: command\n  command: "true"\n  timeoutMinutes: ${minutes}\ngates:\n  allowSkipWithoutLlm: true\n`;

  it("auth refused", async () => {
    const r = await cli(["--agent", "builtin"], await failingLlm(401, "Incorrect API key provided: sk-cli-***6789."));
    expect(r.code).toBe(2);
    expect(r.stdout).toContain("  Provider error: The openai endpoint refused autofix's credentials (HTTP 401: Incorrect API key provided: sk-cli-***6789.).");
    expect(r.stdout).toContain("Result: autofix could not run the agent: its model endpoint refused the agent's credentials.");
    expect(r.stdout).toContain("What next: Operator: set a valid key in AUTOFIX_LLM_API_KEY");
    expect(r.stdout + r.stderr).not.toContain("sk-cli-test-key-0123456789");
  });

  it("provider 500", async () => {
    const r = await cli(["--agent", "builtin"], await failingLlm(500, "The server had an error while processing your request (req_77aa)."));
    expect(r.code).toBe(3);
    expect(r.stdout).toContain("HTTP 500: The server had an error while processing your request (req_77aa).");
    expect(r.stdout).toContain("Result: autofix could not run the agent: its model provider failed.");
    expect(r.stderr).toContain("warning: LLM request failed; retrying");
  });

  it("CLI missing", async () => {
    const r = await cli(["--agent-command", "autofix-agent-not-installed --fix"]);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain("autofix-agent-not-installed: not found");
    expect(r.stdout).toContain("Result: autofix could not start the agent: its program was not found.");
  });

  it("timeout with nothing written", async () => {
    const r = await cli(["--agent-command", `node -e "setInterval(() => {}, 1000)"`], {}, slowConfig(0.02));
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("  Timed out: the agent ran longer than 0.02 minutes and was stopped.");
    expect(r.stdout).toContain("Result: autofix stopped the agent: it ran out of time before it changed anything.");
  });

  it("no edit", async () => {
    const r = await cli(["--agent-command", `echo "greet() already trims, as far as I can see."`]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("  Final message: greet() already trims, as far as I can see.");
    expect(r.stdout).toContain("Result: The agent made no changes.");
  });

  it("partial change at timeout, and local-mode progress says what it writes", async () => {
    const agent = `node -e "require('fs').appendFileSync('README.md', 'More on greetings.\\\\n'); console.log('Started the README section.'); setInterval(() => {}, 1000)"`;
    const r = await cli(["--agent-command", agent], {}, slowConfig(0.02));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("  Partial change: the agent ran out of time; the change below is what it had written by then.");
    expect(r.stdout).toContain("Gates: deterministic passed; semantic and review skipped (no LLM configured).");
    expect(r.stderr).toContain("Writing branch autofix/issue-1");
    expect(r.stderr).not.toContain("Opening the pull request");
  });
});
