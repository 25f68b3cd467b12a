// What an operator gets when bubblewrap cannot isolate: a warned fallback in mode auto, a refusal that
// says how to fix the host in mode required, the process runner in mode off.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chmodSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { createSandbox, SandboxUnavailable } from "../../src/sandbox/index.js";
import { isAutofixError } from "../../src/errors.js";
import { tempDir } from "../support/repoBuilder.js";

let root: string;
let missingBwrap: string;
let namespacelessBwrap: string;
let spawnDir: string;

function recordingLog() {
  const warnings: Array<{ obj: object; msg?: string }> = [];
  return { warnings, log: { warn: (obj: object, msg?: string) => warnings.push({ obj, msg }) } };
}

beforeAll(() => {
  root = tempDir("autofix-sandbox-fallback-");
  missingBwrap = path.join(root, "no-such-dir", "bwrap");
  // What bwrap prints where unprivileged user namespaces are disabled (sysctl or a container's seccomp profile).
  namespacelessBwrap = path.join(root, "bin", "bwrap");
  mkdirSync(path.dirname(namespacelessBwrap), { recursive: true });
  writeFileSync(
    namespacelessBwrap,
    "#!/bin/sh\necho 'bwrap: No permissions to creating new namespace, likely because the kernel does not allow non-privileged user namespaces.' >&2\nexit 1\n",
  );
  chmodSync(namespacelessBwrap, 0o755);
  spawnDir = path.join(root, "spawn");
  mkdirSync(spawnDir);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("when bubblewrap is missing", () => {
  it("mode auto runs commands with process isolation, says why, and warns the operator", async () => {
    const { warnings, log } = recordingLog();
    const sandbox = await createSandbox({ mode: "auto", bwrapPath: missingBwrap, log });
    expect(sandbox.isolation).toBe("process");
    expect(sandbox.fallbackReason).toContain("was not found");
    expect(warnings.some((w) => /falling back to process isolation/.test(w.msg ?? ""))).toBe(true);

    const result = await sandbox.run({
      argv: ["/bin/sh", "-c", "echo edited > file.txt"],
      cwd: spawnDir,
      env: { PATH: "/usr/bin:/bin" },
      timeoutMs: 10_000,
      network: "none",
    });
    expect(result).toMatchObject({ exitCode: 0, isolation: "process" });
  });

  it("mode required refuses to start and says how to enable bubblewrap", async () => {
    const error = await createSandbox({ mode: "required", bwrapPath: missingBwrap }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SandboxUnavailable);
    if (!isAutofixError(error)) throw error;
    expect(error.code).toBe("SANDBOX_UNAVAILABLE");
    expect(error.message).toContain("apt-get install -y bubblewrap");
    expect(error.message).toContain("kernel.unprivileged_userns_clone=1");
    expect(error.message).toContain("user.max_user_namespaces");
    expect(error.explanation.why).toContain("was not found");
  });
});

describe("AUTOFIX_BWRAP_PATH", () => {
  it("lets an end-to-end test that starts autofix whole make bubblewrap unavailable", async () => {
    process.env.AUTOFIX_BWRAP_PATH = missingBwrap;
    try {
      const sandbox = await createSandbox({ mode: "auto" });
      expect(sandbox.isolation).toBe("process");
      expect(sandbox.fallbackReason).toContain(missingBwrap);
    } finally {
      delete process.env.AUTOFIX_BWRAP_PATH;
    }
  });
});

describe("when bubblewrap is installed but cannot create user namespaces", () => {
  it("mode auto falls back and reports bubblewrap's own complaint", async () => {
    const sandbox = await createSandbox({ mode: "auto", bwrapPath: namespacelessBwrap });
    expect(sandbox.isolation).toBe("process");
    expect(sandbox.fallbackReason).toContain("non-privileged user namespaces");
  });

  it("mode required refuses with the same reason", async () => {
    await expect(createSandbox({ mode: "required", bwrapPath: namespacelessBwrap })).rejects.toThrow(
      /non-privileged user namespaces[\s\S]*apt-get install -y bubblewrap/,
    );
  });
});

describe("mode off", () => {
  it("uses the process runner without probing and names the setting as the reason", async () => {
    const { warnings, log } = recordingLog();
    const sandbox = await createSandbox({ mode: "off", bwrapPath: missingBwrap, log });
    expect(sandbox.isolation).toBe("process");
    expect(sandbox.fallbackReason).toContain("AUTOFIX_SANDBOX=off");
    expect(warnings).toHaveLength(1);
  });
});

describe("when bubblewrap works", () => {
  it("mode auto chooses it", async () => {
    const sandbox = await createSandbox({ mode: "auto" });
    expect(sandbox.isolation).toBe("bubblewrap");
    expect(sandbox.fallbackReason).toBeUndefined();
  });
});

describe("a request that would expose the host", () => {
  it("is refused as a rejected run, before anything starts", async () => {
    const sandbox = await createSandbox({ mode: "required" });
    await expect(sandbox.run({ argv: ["true"], cwd: spawnDir, env: {}, timeoutMs: 10_000, network: "none", readOnlyPaths: ["/"] })).rejects.toMatchObject({
      code: "SANDBOX_REQUEST_REFUSED",
    });
  });
});
