// Why a job's signal was aborted is a kind, never read from the reason's text.
import { describe, expect, it } from "vitest";
import { cancelKindOf, JobCancelled } from "../../src/errors.js";
import { LeaseLost, WorkerStopping } from "../../src/jobs/records.js";

const aborted = (reason: unknown) => {
  const c = new AbortController();
  c.abort(reason);
  return c.signal;
};

describe("cancelKindOf", () => {
  it("tells shutdown, lost lease, cancel and timeout apart", () => {
    expect(cancelKindOf(aborted(new WorkerStopping()))).toBe("shutdown");
    expect(cancelKindOf(aborted(new LeaseLost("job-1")))).toBe("lease-lost");
    expect(cancelKindOf(aborted(new JobCancelled("the label was removed")))).toBe("cancel");
    expect(cancelKindOf(aborted(new JobCancelled("the agent ran longer than 20 minutes", "timeout")))).toBe("timeout");
    expect(cancelKindOf(new AbortController().signal)).toBeUndefined();
  });

  it("never reads the words: a cancel that mentions shutting down is still a cancel", () => {
    expect(cancelKindOf(aborted(new JobCancelled("shutting down the experiment")))).toBe("cancel");
    expect(cancelKindOf(aborted("interrupted: shutdown of the terminal"))).toBe("cancel");
  });
});
