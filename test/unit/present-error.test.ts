// The one presenter: what a maintainer reads in a comment or check run, and what an operator reads in
// the CLI or logs, for known errors (what, why, next) and for unexpected ones (no leak, a job id).
import { describe, expect, it } from "vitest";
import { AutofixError, JobCancelled } from "../../src/errors.js";
import { ConfigInvalid } from "../../src/config/errors.js";
import { presentError, redactSecrets } from "../../src/app/present.js";

const limitError = new AutofixError(
  "DELTA_TOO_LARGE",
  { what: "The agent's change touches 80 files.", why: "The limit is 50 (limits.maxFiles).", next: "Raise limits.maxFiles or split the issue." },
  { data: { files: 80 } },
);

describe("presenting errors", () => {
  it("renders what, why and next as Markdown with the stable code", () => {
    const shown = presentError(limitError, { jobId: "j-42" });
    expect(shown.markdown).toBe(
      [
        "**The agent's change touches 80 files.**",
        "",
        "**Why:** The limit is 50 (limits.maxFiles).",
        "",
        "**Next:** Raise limits.maxFiles or split the issue.",
        "",
        "<sub>autofix error `DELTA_TOO_LARGE` · job `j-42`</sub>",
      ].join("\n"),
    );
    expect(shown.code).toBe("DELTA_TOO_LARGE");
  });

  it("renders one plain line for the CLI and logs", () => {
    expect(presentError(new JobCancelled("the label was removed")).plain).toBe(
      "[JOB_CANCELLED] The job was cancelled. the label was removed Add the label again or comment `/autofix retry` to start a new attempt.",
    );
  });

  it("marks infrastructure errors as temporary", () => {
    const flaky = new AutofixError("FORGE_UNAVAILABLE", { what: "a", why: "b", next: "c" }, { retryable: true });
    expect(presentError(flaky).markdown).toContain("(temporary: autofix will retry)");
    expect(presentError(flaky).retryable).toBe(true);
  });

  it("shows config problems as a list", () => {
    const err = new ConfigInvalid([{ path: "limits.attempts", line: 7, message: "`0` is too small; this must be a whole number from 1 to 5." }]);
    expect(presentError(err).markdown).toContain("**Why:**\n\n- `limits.attempts` (line 7): `0` is too small");
  });

  it("never shows an unexpected error's message or stack, and points at the operator's logs", () => {
    const leak = new Error("connect ECONNREFUSED at /srv/autofix/secret-path with token ghs_abcdefghijklmnopqrstuvwxyz012345");
    const shown = presentError(leak, { jobId: "j-7" });
    for (const text of [shown.markdown, shown.plain]) {
      expect(text).not.toContain("ECONNREFUSED");
      expect(text).not.toContain("ghs_");
      expect(text).not.toContain("secret-path");
      expect(text).toContain("the operator's logs have details (job j-7)");
    }
    expect(shown.code).toBe("UNEXPECTED");
    expect(presentError("a thrown string").plain).toContain("unexpected error");
  });

  it("redacts token shapes even inside a known error's text", () => {
    const err = new AutofixError("PUSH_FAILED", {
      what: "Push to https://x-access-token:ghs_abcdefghijklmnopqrstuvwxyz0123@github.com/a/b failed.",
      why: "Bearer abcdefghijklmnopqrstuvwx was refused.",
      next: "Retry.",
    });
    const shown = presentError(err);
    expect(shown.plain).not.toMatch(/ghs_|abcdefghijklmnopqrstuvwx/);
    expect(shown.markdown).not.toMatch(/ghs_|abcdefghijklmnopqrstuvwx/);
    expect(redactSecrets("key sk-ant-abcdefghijklmnopqrstu and github_pat_11ABCDEFG0123456789_abcdefghij")).toBe("key [redacted] and [redacted]");
  });

  it("keeps a quoted mention from pinging people in a comment", () => {
    const err = new AutofixError("X", { what: "Asked by @octocat.", why: "w", next: "n" });
    expect(presentError(err).markdown).not.toContain("@octocat");
  });
});
