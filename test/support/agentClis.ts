// Finds the pinned agent CLIs for tests: .ci/run installs them into .tools/ (npm i --prefix .tools).
// A missing or wrong-version CLI fails the test with the command that installs it; never a silent skip.
import { mkdirSync, readdirSync, readFileSync, realpathSync } from "node:fs";
import { rm } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import type { Duplex } from "node:stream";
import { fileURLToPath } from "node:url";
import { findOnPath, locateCli } from "../../src/agents/presets/installedCli.js";
import { claudeCodeTestedVersion } from "../../src/agents/presets/claudeCode.js";
import { codexTestedVersion } from "../../src/agents/presets/codex.js";
import { materialize } from "../../src/engine/spawn.js";
import { recordBaseline } from "../../src/engine/baseline.js";
import { computeDelta } from "../../src/engine/delta.js";
import type { Delta } from "../../src/engine/types.js";
import { buildRepo, tempDir } from "./repoBuilder.js";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const toolsBinDir = path.join(repoRoot, ".tools", "node_modules", ".bin");

const pinned = {
  claude: { packageName: "@anthropic-ai/claude-code", version: claudeCodeTestedVersion },
  codex: { packageName: "@openai/codex", version: codexTestedVersion },
} as const;

export interface PinnedCli {
  /** Directory to put first on the agent's PATH. */
  binDir: string;
  binPath: string;
  version: string;
}

export function installCommand(): string {
  const specs = Object.values(pinned).map((p) => `${p.packageName}@${p.version}`);
  return `npm i --prefix .tools --save-exact --no-audit --no-fund ${specs.join(" ")}`;
}

export async function requirePinnedCli(program: keyof typeof pinned): Promise<PinnedCli> {
  const { packageName, version } = pinned[program];
  const cli = (await locateCli(program, packageName, toolsBinDir)) ?? (await locateCli(program, packageName, process.env.PATH ?? ""));
  if (!cli) {
    throw new Error(
      `${program} (${packageName}@${version}) is not installed for the tests. Run \`${installCommand()}\` in the repository root (.ci/run does).`,
    );
  }
  if (cli.version !== version) {
    throw new Error(
      `${program} at ${cli.binPath} is ${cli.version ?? "of unknown version"}, the presets are tested with ${version}. Run \`${installCommand()}\`.`,
    );
  }
  // Resolved: a checkout whose .tools is a symlink (a git worktree) must hand the sandbox a path it mounts.
  const binDir = realpathSync(path.dirname(cli.binPath));
  return { binDir, binPath: path.join(binDir, path.basename(cli.binPath)), version };
}

/** Secrets of the bot, set in the test process so a test can prove none reaches an agent or its endpoint. */
export const botSecrets = {
  PRIVATE_KEY: "-----BEGIN RSA PRIVATE KEY-----fake-app-key-7f3a",
  GITHUB_TOKEN: "ghs_faketoken0123456789abcdef",
  AUTOFIX_LLM_API_KEY: "sk-judge-secret-5b9e",
  WEBHOOK_SECRET: "whsec-fake-1c2d",
} as const;

export interface TrapProxy {
  url: string;
  /** Hosts the agent tried to reach through the proxy (CONNECT targets and absolute-URL requests). */
  attempts: string[];
  close(): Promise<void>;
}

/**
 * A proxy that refuses everything and records who asked. Set as HTTPS_PROXY/HTTP_PROXY (with NO_PROXY for
 * loopback) it catches any request a CLI makes to a host other than the fake endpoint.
 */
export async function startTrapProxy(): Promise<TrapProxy> {
  const attempts: string[] = [];
  const server = http.createServer((req, res) => {
    attempts.push(req.url ?? "");
    res.writeHead(403).end("autofix test: no traffic beyond loopback");
  });
  server.on("connect", (req: http.IncomingMessage, socket: Duplex) => {
    attempts.push(req.url ?? "");
    socket.end("HTTP/1.1 403 Forbidden\r\n\r\n");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    attempts,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Processes whose command line contains `marker` (a unique string in the prompt): a killed agent leaves none. */
export function processesMentioning(marker: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, "utf8").includes(marker)) found.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return found;
}

export function bwrapAvailable(): boolean {
  return findOnPath("bwrap", process.env.PATH ?? "/usr/bin:/bin") !== undefined;
}

export interface SpawnChange {
  path: string;
  kind: "add" | "modify" | "delete";
  content?: string;
}

export interface TestSpawn {
  dir: string;
  /** The attempt's scratch directory: a sibling of the spawn, never inside it. */
  scratchDir: string;
  /** The engine's delta against the baseline, reduced to what a test compares. */
  delta(): Promise<SpawnChange[]>;
  /** The engine's full delta (excluded tool files included). */
  fullDelta(): Promise<Delta>;
  remove(): Promise<void>;
}

/** A spawn materialized by the engine from a local repository holding one commit of `files`. */
export async function makeSpawn(files: Record<string, string>): Promise<TestSpawn> {
  const root = tempDir("autofix-preset-");
  const scratchDir = path.join(root, "scratch");
  mkdirSync(scratchDir);
  const repo = buildRepo(root, "repo", files);
  const spawn = await materialize({
    jobId: "preset-job",
    source: { cacheKey: `local:${repo.bare}`, url: repo.bare },
    baseRef: "main",
    workRoot: path.join(root, "spawns"),
    cacheRoot: path.join(root, "cache"),
  });
  const baseline = await recordBaseline(spawn);
  const fullDelta = () => computeDelta(spawn, baseline);
  return {
    dir: spawn.dir,
    scratchDir,
    fullDelta,
    async delta() {
      const delta = await fullDelta();
      return delta.files.map((c) => ({
        path: c.path,
        kind: c.kind,
        ...(c.contentBase64 !== undefined ? { content: Buffer.from(c.contentBase64, "base64").toString("utf8") } : {}),
      }));
    },
    remove: async () => {
      await rm(root, { recursive: true, force: true });
      await rm(repo.work, { recursive: true, force: true });
    },
  };
}
