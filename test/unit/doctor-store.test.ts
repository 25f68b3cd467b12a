// `autofix doctor` reports how large the job store is and how long ended jobs stay.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { storeSizeCheck } from "../../src/cli/doctor.js";
import { createJobQueue } from "../../src/jobs/index.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("doctor: job store size", () => {
  it("reports jobs, record bytes and payload files of a real SQLite store with its retention", async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), "autofix-doctor-store-"));
    dirs.push(dataDir);
    const queue = await createJobQueue({ AUTOFIX_DATA_DIR: dataDir, REDIS_URL: undefined });
    await queue.enqueue({ repo: { owner: "octo", repo: "widgets" }, issueNumber: 1, trigger: "cli", requestedBy: "me" });
    const usage = await queue.usage();
    await queue.close();
    expect(usage).toMatchObject({ jobs: 1, payloadFiles: 0, payloadBytes: 0 });
    expect(usage.recordBytes).toBeGreaterThan(0);
    const check = storeSizeCheck(usage, 30, "the SQLite file");
    expect(check.status).toBe("ok");
    expect(check.detail).toMatch(
      /^1 jobs; records \d+\.\d MB in the SQLite file; 0 payload files \(deltas, logs, reports\), 0\.0 MB; ended jobs are deleted after 30 days$/,
    );
  });

  it("warns past 1 GB and says which setting keeps fewer jobs", () => {
    const check = storeSizeCheck({ jobs: 9000, recordBytes: 200 * 1024 ** 2, payloadFiles: 4000, payloadBytes: 900 * 1024 ** 2 }, 0, "Redis");
    expect(check.status).toBe("warn");
    expect(check.detail).toContain("ended jobs are kept forever (AUTOFIX_JOB_RETENTION_DAYS=0)");
    expect(check.detail).toContain("set AUTOFIX_JOB_RETENTION_DAYS lower");
  });
});
