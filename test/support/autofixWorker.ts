// `autofix worker` (bin/autofix.js) as a real child process a test can SIGKILL: the product's own
// start-up (settings, Probot, SQLite queue, runtime, stale-spawn sweep), nothing stubbed inside it.
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { cleanEnv, repoRoot } from "./cliRunner.js";

export interface AutofixWorker {
  child: ChildProcess;
  /** Resolves with the exit code, or the signal's name when killed. */
  exited: Promise<number | string>;
  output(): string;
  kill(signal: NodeJS.Signals): void;
}

export async function startAutofixWorker(env: Record<string, string>, readyTimeoutMs = 60_000): Promise<AutofixWorker> {
  const child = spawn(process.execPath, [path.join(repoRoot, "bin", "autofix.js"), "worker"], {
    cwd: repoRoot,
    env: cleanEnv({ LOG_LEVEL: "info", ...env }),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | string>((resolve) => child.on("exit", (code, signal) => resolve(signal ?? code ?? -1)));
  const worker: AutofixWorker = { child, exited, output: () => output, kill: (s) => void child.kill(s) };
  const deadline = Date.now() + readyTimeoutMs;
  let code: number | string | undefined;
  void exited.then((c) => (code = c));
  while (!output.includes("autofix worker started")) {
    if (code !== undefined) throw new Error(`autofix worker exited (${code}) before it started:\n${output}`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`autofix worker did not start in ${readyTimeoutMs} ms:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return worker;
}
