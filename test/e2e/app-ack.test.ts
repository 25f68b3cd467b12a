// How a label is acknowledged: the webhook is answered first, then 👀 and a "queued" note reach the
// issue; a job a worker already took gets its status from the worker alone (one status comment).
import nock from "nock";
import { afterEach, describe, expect, it } from "vitest";
import { labeledPayload, startAppHarness, type AppHarness } from "../support/appHarness.js";

const full = "octo-org/widget";
const files = {
  "package.json": JSON.stringify({ name: "widget", type: "module", scripts: { test: "node --test test/" } }),
  "src/math.js": "export const add = (a, b) => a - b;\n",
  "test/math.test.js": 'import { test } from "node:test";\nimport assert from "node:assert/strict";\nimport { add } from "../src/math.js";\ntest("add", () => assert.equal(add(2, 3), 5));\n',
  // Slow enough that the second issue's job waits in the queue behind the first (one job per installation).
  "tools/fix.mjs": 'import fs from "node:fs";\nawait new Promise((r) => setTimeout(r, 4000));\nconst f = "src/math.js";\nfs.writeFileSync(f, fs.readFileSync(f, "utf8").replace("a - b", "a + b"));\n',
};
const config = "agent:\n  preset: command\n  command: node tools/fix.mjs\n  timeoutMinutes: 1\ngates:\n  allowSkipWithoutLlm: true\n";

let h: AppHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
  nock.cleanAll();
});

const statusOf = (harness: AppHarness, issue: number) => harness.fake.commentsOn(full, issue).filter((c) => c.body.includes("<!-- autofix:status:"));

async function until(what: string, probe: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("acknowledging a label", () => {
  it("a job waiting behind another gets 👀 and a queued note after the answer; each issue ends with one status comment", async () => {
    h = await startAppHarness({ files, config, env: { AUTOFIX_CONCURRENCY: "1", AUTOFIX_PER_INSTALLATION: "1" } });
    const harness = h;
    for (const number of [21, 22]) harness.fake.addIssue(full, { number, title: `add() subtracts (${number})`, author: "reporter" });
    harness.fake.setPermission(full, "maintainer", "write");

    expect((await harness.deliver("issues", labeledPayload({ issue: 21, title: "add() subtracts (21)" }))).status).toBe(200);
    await harness.waitForJob(`${full}#21`, (j) => j.state === "running");
    expect((await harness.deliver("issues", labeledPayload({ issue: 22, title: "add() subtracts (22)" }))).status).toBe(200);

    await until("the queued note on the waiting issue", () => statusOf(harness, 22).length === 1);
    const waiting = await harness.booted.queue.latest(`${full}#22`);
    expect(waiting?.state).toBe("queued");
    expect(statusOf(harness, 22)[0].body).toContain(`Queued as job \`${waiting?.id}\``);
    expect(statusOf(harness, 22)[0].body).toContain("/autofix stop");
    expect(harness.fake.reactions.filter((r) => r.content === "eyes").map((r) => r.target).sort()).toEqual(["issue:21", "issue:22"]);

    for (const number of [21, 22]) {
      const job = await harness.waitForJob(`${full}#${number}`, undefined, 120_000);
      expect(job.outcome?.kind, `issue ${number}`).toBe("pr-opened");
      const status = statusOf(harness, number);
      expect(status, `issue ${number}: status comments`).toHaveLength(1);
      // The worker took over the queued note and ended it with the result.
      expect(status[0].body, `issue ${number}`).toContain(job.outcome?.prUrl ?? "no PR url");
    }
    expect(harness.fake.unexpected).toEqual([]);
  }, 150_000);
});
