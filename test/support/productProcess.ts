// The product's entry points started exactly as the README tells users (`npm start`, `node bin/autofix.js …`,
// `npm run demo`), each in its own process group so a test can SIGKILL the whole thing (npm, its shell and
// node) the way a crash or an OOM kill would.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { cleanEnv, repoRoot } from "./cliRunner.js";
import { freeLoopbackPort, waitUntil } from "./browser.js";

export interface ProductProcess {
  child: ChildProcess;
  /** Resolves with the exit code, or the signal's name when killed. */
  exited: Promise<number | string>;
  /** stdout and stderr interleaved as they arrived. */
  output(): string;
  stdout(): string;
  stderr(): string;
  /** Signals the whole process group (npm, sh and node alike). */
  kill(signal: NodeJS.Signals): void;
  /** Resolves when `pattern` shows in the output; rejects if the process exits first or the time runs out. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<void>;
}

/** `command args…` from the checkout, with only the environment the test passes (see cleanEnv). */
/** `opts.envFile`: the test put a .env in `cwd` on purpose. */
export function startProduct(
  command: string,
  args: string[],
  env: Record<string, string | undefined>,
  opts: { cwd?: string; envFile?: boolean } = {},
): ProductProcess {
  const cwd = opts.cwd ?? repoRoot;
  if (!opts.envFile && existsSync(path.join(cwd, ".env")))
    throw new Error(
      `${cwd}/.env exists, and \`npm start\` reads it (Probot's manifest flow writes the App's credentials there): the process tests ` +
        "would not run with the settings they choose. Move it out of the checkout while the tests run (and export its variables instead).",
    );
  const child = spawn(command, args, { cwd, env: cleanEnv(env), stdio: ["ignore", "pipe", "pipe"], detached: true });
  let out = "";
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d: Buffer) => ((out += d.toString()), (stdout += d.toString())));
  child.stderr!.on("data", (d: Buffer) => ((out += d.toString()), (stderr += d.toString())));
  let code: number | string | undefined;
  const exited = new Promise<number | string>((resolve) =>
    child.on("close", (c, signal) => {
      code = signal ?? c ?? -1;
      resolve(code);
    }),
  );
  return {
    child,
    exited,
    output: () => out,
    stdout: () => stdout,
    stderr: () => stderr,
    kill(signal) {
      try {
        process.kill(-child.pid!, signal);
      } catch {
        // Already gone.
      }
    },
    async waitForOutput(pattern, timeoutMs = 60_000) {
      await waitUntil(
        `${pattern} from \`${command} ${args.join(" ")}\``,
        async () => {
          if (pattern.test(out)) return true;
          if (code !== undefined) throw new Error(`\`${command} ${args.join(" ")}\` exited (${code}) before printing ${pattern}:\n${out}`);
          return undefined;
        },
        timeoutMs,
      );
    },
  };
}

/** Runs an entry point to its end; kills its group after `timeoutMs`. */
export async function runProduct(
  command: string,
  args: string[],
  env: Record<string, string | undefined>,
  opts: { cwd?: string; envFile?: boolean; timeoutMs?: number } = {},
) {
  const p = startProduct(command, args, env, opts);
  const timer = setTimeout(() => p.kill("SIGKILL"), opts.timeoutMs ?? 90_000);
  const code = await p.exited;
  clearTimeout(timer);
  return { code, stdout: p.stdout(), stderr: p.stderr(), output: p.output() };
}

export interface StartedServer extends ProductProcess {
  url: string;
  port: number;
}

/** `npm start` on a free loopback port; resolves once Probot says it is listening. */
export async function startServer(env: Record<string, string | undefined>, readyTimeoutMs = 60_000): Promise<StartedServer> {
  const port = Number(env.PORT ?? (await freeLoopbackPort()));
  const server = startProduct("npm", ["start"], { HOST: "127.0.0.1", LOG_LEVEL: "info", ...env, PORT: String(port) });
  try {
    await server.waitForOutput(/Listening on http:\/\//, readyTimeoutMs);
  } catch (err) {
    server.kill("SIGKILL");
    throw err;
  }
  return { ...server, url: `http://127.0.0.1:${port}`, port };
}

/** Stops a started process (SIGTERM, then SIGKILL after `graceMs`) and waits for it. */
export async function stopProduct(p: ProductProcess | undefined, graceMs = 10_000): Promise<void> {
  if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.kill("SIGTERM");
  const timer = setTimeout(() => p.kill("SIGKILL"), graceMs);
  await p.exited;
  clearTimeout(timer);
}

export const autofixBin = path.join(repoRoot, "bin", "autofix.js");
