// A cancel that lands while a run is being set up (its cgroup made, its process not yet started) must stop the
// run at once, not leave the command running until its timeout: the job would sit "running" for the whole limit.
import { describe, expect, it } from "vitest";
import { supervise } from "../../src/sandbox/supervise.js";
import type { CgroupPids } from "../../src/sandbox/cgroup.js";

describe("supervise", () => {
  it("stops a run whose cancel arrived while its cgroup was being created", async () => {
    const controller = new AbortController();
    // The cancel arrives during the set-up's await, after the early "already aborted?" check.
    const cgroups = {
      memory: false,
      create: async () => {
        controller.abort("the issue was closed");
        return undefined;
      },
    } as unknown as CgroupPids;
    const result = await supervise(
      { argv: ["/bin/sh", "-c", "sleep 30"], cwd: "/tmp", env: {}, timeoutMs: 20_000, network: "none", signal: controller.signal },
      { file: "/bin/sh", args: ["-c", "sleep 30"], env: {}, cwd: "/tmp", isolation: "process", killGraceMs: 200, cgroups, maxProcesses: 64 },
    );
    expect(result.cancelled).toBe(true);
    expect(result.timedOut).toBe(false);
    expect(result.durationMs).toBeLessThan(10_000);
  });
});
