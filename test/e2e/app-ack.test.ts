// How a label is acknowledged: the webhook is answered first, then 👀 and a "queued" note reach the
// issue; a job a worker already took gets its status from the worker alone (one status comment).
import nock from "nock";
import { afterEach, describe, expect, it } from "vitest";
import { labeledPayload, startAppHarness, type AppHarness } from "../support/appHarness.js";

const full = "octo-org/widget";
const files = {
  "package.json": JSON.stringify({ name: "widget", type: "module", scripts: { test: "node --test test/" } }),
  "src/math.js": "export const add = (a, b) => a - b;\n",
  "test/math.test.js":
    'import { test } from "node:test";\nimport assert from "node:assert/strict";\nimport { add } from "../src/math.js";\ntest("add", () => assert.equal(add(2, 3), 5));\n',
  // Slow enough that the second issue's job waits in the queue behind the first (one job per installation).
  "tools/fix.mjs":
    'import fs from "node:fs";\nawait new Promise((r) => setTimeout(r, 4000));\nconst f = "src/math.js";\nfs.writeFileSync(f, fs.readFileSync(f, "utf8").replace("a - b", "a + b"));\n',
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
    expect(
      harness.fake.reactions
        .filter((r) => r.content === "eyes")
        .map((r) => r.target)
        .sort(),
    ).toEqual(["issue:21", "issue:22"]);

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

describe("explaining why nothing started", () => {
  const commentsOn = (harness: AppHarness, issue: number) => harness.fake.commentsOn(full, issue).map((c) => c.body);

  it("20 redeliveries of a refused label are all answered at once and explained on the issue exactly once", async () => {
    h = await startAppHarness({ files, config });
    const harness = h;
    for (const number of [31, 32]) harness.fake.addIssue(full, { number, title: `refused (${number})`, author: "reporter" });
    harness.fake.setPermission(full, "visitor", "read");

    const answers = await Promise.all(
      Array.from({ length: 20 }, () => harness.deliver("issues", labeledPayload({ issue: 31, title: "refused (31)", sender: "visitor" }))),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200));
    await until("the explanation on issue 31", () => commentsOn(harness, 31).length > 0);
    // Notices of one installation are posted in order: once a later refusal's explanation is there, any duplicate would be too.
    expect((await harness.deliver("issues", labeledPayload({ issue: 32, title: "refused (32)", sender: "visitor" }))).status).toBe(200);
    await until("the explanation on issue 32", () => commentsOn(harness, 32).length > 0);

    expect(commentsOn(harness, 31)).toHaveLength(1);
    expect(commentsOn(harness, 31)[0]).toContain("@visitor, autofix did not start: it needs someone with at least **write** permission");
    expect(commentsOn(harness, 32)).toHaveLength(1);
    expect(await harness.booted.queue.latest(`${full}#31`)).toBeUndefined();
    expect(harness.fake.unexpected).toEqual([]);
  }, 60_000);

  it("an invalid config is explained for the trigger label only, once per version of the file", async () => {
    const options = { files, config: "label: autofix\ngates:\n  semantic:\n    minConfidence: 2\n" };
    h = await startAppHarness(options);
    const harness = h;
    for (const number of [41, 42]) harness.fake.addIssue(full, { number, title: `config (${number})`, author: "reporter" });
    harness.fake.setPermission(full, "maintainer", "write");

    // "bug" first: had it been explained, its comment would land before the trigger label's (one lane, in order).
    expect((await harness.deliver("issues", labeledPayload({ issue: 41, title: "config (41)", label: "bug" }))).status).toBe(200);
    await Promise.all([1, 2, 3].map(() => harness.deliver("issues", labeledPayload({ issue: 41, title: "config (41)" }))));
    await until("the invalid-config explanation", () => commentsOn(harness, 41).length > 0);
    expect(commentsOn(harness, 41)).toHaveLength(1);
    expect(commentsOn(harness, 41)[0]).toContain("`.github/autofix.yml` is invalid");
    expect(commentsOn(harness, 41)[0]).toContain("gates.semantic.minConfidence");

    // A new version of the (still invalid) file is a new explanation; the trigger label it names is the one answered.
    // (The handler reuses only a valid config for a few seconds, so the new file is read at once.)
    options.config = "label: fix-me\nlimits:\n  attempts: many\n";
    expect((await harness.deliver("issues", labeledPayload({ issue: 41, title: "config (41)" }))).status).toBe(200);
    expect((await harness.deliver("issues", labeledPayload({ issue: 41, title: "config (41)", label: "fix-me" }))).status).toBe(200);
    await until("the second explanation", () => commentsOn(harness, 41).length > 1);
    expect((await harness.deliver("issues", labeledPayload({ issue: 42, title: "config (42)", label: "fix-me" }))).status).toBe(200);
    await until("the sentinel explanation on issue 42", () => commentsOn(harness, 42).length > 0);
    expect(commentsOn(harness, 41)).toHaveLength(2);
    expect(commentsOn(harness, 41)[1]).toContain("limits.attempts");
    expect(await harness.booted.queue.latest(`${full}#41`)).toBeUndefined();
  }, 60_000);
});
