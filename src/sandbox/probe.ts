// Finds out once whether bubblewrap can really isolate here: the binary may be missing, or present but
// unable to create user namespaces (common in containers and on hardened kernels).
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { bubblewrapArgs } from "./bubblewrapArgs.js";
import type { SandboxRequest, SandboxResult } from "./types.js";

export type ProbeResult = { usable: true } | { usable: false; reason: string };

const probeTimeoutMs = 10_000;
// Module-level on purpose (unlike the engine's state, issue 21): these are facts about the host (can this bwrap
// isolate, does overlay work), the same for every runtime and test in the process, so probing once is right.
const cache = new Map<string, Promise<ProbeResult>>();

function runProbe(bwrapPath: string, baseReadOnlyPaths: string[]): Promise<ProbeResult> {
  const args = [
    ...bubblewrapArgs({ argv: ["true"], cwd: "/tmp", env: { PATH: "/usr/bin:/bin" }, timeoutMs: probeTimeoutMs, network: "none" }, { baseReadOnlyPaths }),
    "--",
    "/bin/sh",
    "-c",
    "true",
  ];
  return new Promise((resolve) => {
    execFile(bwrapPath, args, { timeout: probeTimeoutMs, env: {} }, (err, _stdout, stderr) => {
      if (!err) return resolve({ usable: true });
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "ENOENT") return resolve({ usable: false, reason: `the program ${bwrapPath} was not found` });
      const detail = stderr.trim().split("\n").pop() || err.message;
      resolve({ usable: false, reason: `\`${bwrapPath}\` could not create a sandbox (${detail})` });
    });
  });
}

/** Probes once per bwrap path for the life of the process. */
export function probeBubblewrap(bwrapPath: string, baseReadOnlyPaths: string[]): Promise<ProbeResult> {
  let probe = cache.get(bwrapPath);
  if (!probe) {
    probe = runProbe(bwrapPath, baseReadOnlyPaths);
    cache.set(bwrapPath, probe);
  }
  return probe;
}

const overlayCache = new Map<string, Promise<boolean>>();

/**
 * Whether a command can get an overlay view here: one real run writes through a view and the file must land
 * in the upper layer, not in the directory beneath. Once per bwrap path.
 */
export function probeOverlayView(bwrapPath: string, run: (request: SandboxRequest) => Promise<SandboxResult>): Promise<boolean> {
  let probe = overlayCache.get(bwrapPath);
  if (!probe) {
    probe = (async () => {
      const root = await mkdtemp(path.join(os.tmpdir(), "autofix-overlay-probe-"));
      try {
        const lower = path.join(root, "lower");
        await mkdir(lower);
        const result = await run({
          argv: ["/bin/sh", "-c", "echo probe > written"],
          cwd: lower,
          env: { PATH: "/usr/bin:/bin" },
          timeoutMs: probeTimeoutMs,
          network: "none",
          view: { dir: path.join(root, "view") },
        });
        return result.exitCode === 0 && existsSync(path.join(root, "view", "upper", "written")) && !existsSync(path.join(lower, "written"));
      } catch {
        return false;
      } finally {
        await rm(root, { recursive: true, force: true });
      }
    })();
    overlayCache.set(bwrapPath, probe);
  }
  return probe;
}
