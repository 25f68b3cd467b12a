// The isolated runner: each request runs under bubblewrap in fresh namespaces (user, PID, IPC, UTS, cgroup,
// and network unless the request opens it). Killing bwrap's group ends the PID namespace, so every process
// the command started dies with it.
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { type EgressProxy, proxyEnv, startEgressProxy, withForwarder } from "./egressProxy.js";
import type { Sandbox, SandboxDescription, SandboxRequest, SandboxResult } from "./types.js";
import { supervise } from "./supervise.js";
import { withLimits } from "./limits.js";
import { bubblewrapArgs } from "./bubblewrapArgs.js";
import { isWithin } from "./programs.js";
import type { RunnerOptions } from "./processRunner.js";
import { prepareRequest, type RunContext } from "./prepare.js";
import { viewArgv, viewDirs } from "./commandView.js";

export interface BubblewrapRunnerOptions extends RunnerOptions {
  bwrapPath: string;
  baseReadOnlyPaths: string[];
}

export function createBubblewrapSandbox(opts: BubblewrapRunnerOptions, context: RunContext, description: SandboxDescription): Sandbox {
  return {
    isolation: "bubblewrap",
    description,
    async run(asked: SandboxRequest): Promise<SandboxResult> {
      const prepared = await prepareRequest(asked, context);
      const { refusedMounts } = prepared;
      let request = prepared.request;
      let proxy: EgressProxy | undefined;
      let proxyDir: string | undefined;
      if (request.allowHosts && request.network === "none") {
        proxyDir = await mkdtemp(path.join(os.tmpdir(), "autofix-egress-"));
        proxy = await startEgressProxy(proxyDir, request.allowHosts);
        request = {
          ...request,
          env: { ...request.env, ...proxyEnv() },
          writablePaths: [...(request.writablePaths ?? []), proxyDir],
          argv: withForwarder(process.execPath, proxy.socketPath, request.argv),
        };
      }
      try {
        const result = await runPrepared(request);
        const refusedConnections = proxy && proxy.refused.length > 0 ? { refusedConnections: [...proxy.refused] } : {};
        return { ...result, ...refusedConnections, ...(refusedMounts.length > 0 ? { refusedMounts } : {}) };
      } finally {
        await proxy?.close();
        if (proxyDir) await rm(proxyDir, { recursive: true, force: true });
      }
    },
  };

  async function runPrepared(request: SandboxRequest): Promise<SandboxResult> {
    if (request.view) {
      const { upper, work } = viewDirs(request.view.dir);
      // Only the view's own directory is bound writable: a layer elsewhere would not be visible to the mount.
      if (request.view.layer && !isWithin(request.view.layer, request.view.dir))
        throw new Error(`the view's layer ${request.view.layer} is outside ${request.view.dir}`);
      await mkdir(upper, { recursive: true });
      await mkdir(work, { recursive: true });
    }
    const options = bubblewrapArgs(request, { baseReadOnlyPaths: opts.baseReadOnlyPaths });
    const argv = request.view ? viewArgv(request.cwd, request.view.dir, request.argv, request.view.layer) : request.argv;
    // The options travel through fd 3 (--args), not the command line: /proc/<pid>/cmdline is readable by
    // every user of the host, and the options hold the agent's environment (its own API key, the prompt).
    return supervise(request, {
      file: opts.bwrapPath,
      args: ["--args", "3", "--", ...withLimits(argv, opts.limits, opts.prlimitPath, opts.cgroups?.memory)],
      extraInput: `${options.join("\0")}\0`,
      // bwrap itself gets no environment at all: --clearenv/--setenv give the command exactly request.env.
      env: {},
      cwd: request.cwd,
      isolation: "bubblewrap",
      killGraceMs: opts.killGraceMs,
      cgroups: opts.cgroups,
      maxProcesses: opts.limits.maxProcesses,
      maxMemoryBytes: opts.limits.maxMemoryBytes,
    });
  }
}
