// `autofix doctor` shows webhook deliveries answered but not yet decided, and warns when they are old.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { inboxCheck } from "../../src/cli/doctor.js";
import { createJobQueue } from "../../src/jobs/index.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("doctor: webhook inbox", () => {
  it("counts the deliveries a real SQLite store holds, and warns once the oldest outlived a lease and a sweep", async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), "autofix-doctor-inbox-"));
    dirs.push(dataDir);
    const queue = await createJobQueue({ AUTOFIX_DATA_DIR: dataDir, REDIS_URL: undefined });
    const receivedAt = new Date(Date.now() - 120_000).toISOString();
    for (const id of ["d-1", "d-2"])
      await queue.inbox!.record({ id, name: "issues", key: "octo/widgets#7", payload: { action: "labeled" }, receivedAt }, "gone", 0);
    const pending = await queue.inbox!.pending();
    await queue.close();

    expect(inboxCheck({ count: 0 }, 30_000)).toMatchObject({ status: "ok", detail: "no webhook deliveries waiting to be decided" });
    const stale = inboxCheck(pending, 30_000);
    expect(stale.status).toBe("warn");
    expect(stale.detail).toMatch(/^2 webhook deliveries answered but not yet decided, the oldest 1[12]\d s ago: no app process is deciding them/);
    expect(stale.detail).toContain("npm start");
    // The same two, seen while a lease is still running: being decided, nothing to do.
    expect(inboxCheck(pending, 30_000, Date.parse(receivedAt) + 5_000)).toMatchObject({ status: "ok" });
  });
});
