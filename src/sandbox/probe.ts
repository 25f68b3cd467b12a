// Finds out once whether bubblewrap can really isolate here: the binary may be missing, or present but
// unable to create user namespaces (common in containers and on hardened kernels).
import { execFile } from "node:child_process";
import { bubblewrapArgs } from "./bubblewrapArgs.js";

export type ProbeResult = { usable: true } | { usable: false; reason: string };

const probeTimeoutMs = 10_000;
const cache = new Map<string, Promise<ProbeResult>>();

function runProbe(bwrapPath: string, baseReadOnlyPaths: string[]): Promise<ProbeResult> {
  const args = [
    ...bubblewrapArgs(
      { argv: ["true"], cwd: "/tmp", env: { PATH: "/usr/bin:/bin" }, timeoutMs: probeTimeoutMs, network: "none" },
      { baseReadOnlyPaths },
    ),
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
