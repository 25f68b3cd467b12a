// `autofix doctor`: checks each setting an operator must get right and prints what to fix.
import { mkdir, rm, statfs, writeFile } from "node:fs/promises";
import path from "node:path";
import { Probot } from "probot";
import { githubBaseUrl, privateKeyOf } from "../app/index.js";
import { presentError } from "../app/index.js";
import { createJobQueue, type StoreUsage } from "../jobs/index.js";
import { llmFromSettings } from "../llm/index.js";
import { presets } from "../agents/index.js";
import { createSandbox, formatMemory, sandboxOptionsFrom, type SandboxDescription } from "../sandbox/index.js";
import { loadSettings, type Settings } from "../settings.js";
import { ExitCode, exitCodeForError } from "./errors.js";
import { isAutofixError } from "../errors.js";
import { findOnPath } from "../sandbox/index.js";

interface Check {
  name: string;
  status: "ok" | "warn" | "fail";
  detail: string;
  /** A failure the operator fixes in the set-up (exit 2, as `run` gives for it), not an outage (exit 3). */
  setup?: boolean;
}

/** Whether a thrown error is a set-up problem, by the same codes `autofix run` exits 2 for. */
const isSetupError = (err: unknown) => exitCodeForError(err) === ExitCode.usage || (isAutofixError(err) && err.code === "LLM_AUTH_FAILED");

async function checkDataDir(settings: Settings): Promise<Check> {
  const dir = path.resolve(settings.AUTOFIX_DATA_DIR);
  try {
    await mkdir(dir, { recursive: true });
    const probe = path.join(dir, `.doctor-${process.pid}`);
    await writeFile(probe, "ok");
    await rm(probe);
    return { name: "data directory", status: "ok", detail: `${dir} is writable` };
  } catch (err) {
    return {
      name: "data directory",
      status: "fail",
      setup: true,
      detail: `${dir} is not writable (${(err as Error).message}): set AUTOFIX_DATA_DIR to a writable directory`,
    };
  }
}

/** Below this, a few jobs' spawns (two checkouts each) and the spare checkouts may not fit. */
const LOW_DISK_BYTES = 2 * 1024 ** 3;

/** Free space under the data directory, judged against what spawns and spare checkouts take. */
export function diskCheck(dir: string, freeBytes: number, spares: "on" | "off"): Check {
  const gb = (freeBytes / 1024 ** 3).toFixed(1);
  if (freeBytes >= LOW_DISK_BYTES) return { name: "disk", status: "ok", detail: `${gb} GB free under ${dir}; spare checkouts are ${spares}` };
  const next =
    spares === "on"
      ? "free some space, or set AUTOFIX_SPARE_CHECKOUTS=off to keep no second checkout per repository"
      : "free some space or move AUTOFIX_DATA_DIR to a larger disk";
  return {
    name: "disk",
    status: "warn",
    detail: `only ${gb} GB free under ${dir}: each running job checks its repository out twice, and spare checkouts add one per recent repository; ${next}`,
  };
}

async function checkDisk(settings: Settings): Promise<Check> {
  const dir = path.resolve(settings.AUTOFIX_DATA_DIR);
  try {
    const info = await statfs(dir);
    return diskCheck(dir, info.bavail * info.bsize, settings.AUTOFIX_SPARE_CHECKOUTS);
  } catch (err) {
    return { name: "disk", status: "warn", detail: `could not read the free space of ${dir} (${(err as Error).message})` };
  }
}

async function checkApp(settings: Settings): Promise<Check> {
  if (!settings.APP_ID)
    return { name: "GitHub App", status: "warn", detail: "APP_ID is not set: only the CLI (GITHUB_TOKEN) can run; run `npm start` to register the app" };
  try {
    const probot = new Probot({ appId: settings.APP_ID, privateKey: privateKeyOf(settings), baseUrl: githubBaseUrl(settings) });
    const octokit = await probot.auth();
    const { data } = await octokit.request("GET /app");
    if (!settings.WEBHOOK_SECRET)
      return {
        name: "GitHub App",
        status: "fail",
        setup: true,
        detail: `app ${data?.slug} authenticates, but WEBHOOK_SECRET is not set: set it to the app's webhook secret`,
      };
    return { name: "GitHub App", status: "ok", detail: `authenticated as ${data?.slug}` };
  } catch (err) {
    return { name: "GitHub App", status: "fail", detail: `${presentError(err).plain} Check APP_ID and PRIVATE_KEY/PRIVATE_KEY_PATH.` };
  }
}

async function checkLlm(settings: Settings, role: "agent" | "judge"): Promise<Check> {
  const name = role === "agent" ? "LLM (built-in agent)" : "LLM (judges)";
  let llm;
  try {
    llm = llmFromSettings(settings, role);
  } catch (err) {
    return { name, status: "fail", setup: true, detail: presentError(err).plain };
  }
  if (!llm)
    return {
      name,
      status: "warn",
      detail:
        role === "agent"
          ? "not configured: set AUTOFIX_LLM_PROVIDER, AUTOFIX_LLM_API_KEY and AUTOFIX_LLM_MODEL, or use a CLI agent preset"
          : "not configured: the semantic and review gates will report error unless a repository allows skipping",
    };
  try {
    await llm.complete({ system: "Reply with OK.", messages: [{ role: "user", content: "OK?" }], maxOutputTokens: 5, signal: AbortSignal.timeout(20_000) });
    return { name, status: "ok", detail: `${llm.provider} model ${llm.defaultModel} answered` };
  } catch (err) {
    return { name, status: "fail", setup: isSetupError(err), detail: presentError(err).plain };
  }
}

async function checkAgents(settings: Settings): Promise<Check[]> {
  const checks: Check[] = [];
  const searchPath = [settings.AUTOFIX_AGENT_PATH, process.env.PATH].filter(Boolean).join(":");
  for (const preset of Object.values(presets)) {
    if (!preset.program) continue;
    const found = findOnPath(preset.program, searchPath);
    checks.push(
      found
        ? { name: `agent ${preset.name}`, status: "ok", detail: `${preset.program} found at ${found}` }
        : {
            name: `agent ${preset.name}`,
            status: "warn",
            detail: `${preset.program} not found on PATH or AUTOFIX_AGENT_PATH${preset.installHint ? `: install it with ${preset.installHint}` : ""} (only needed for repositories choosing this preset)`,
          },
    );
  }
  return checks;
}

async function checkQueue(settings: Settings): Promise<Check> {
  const name = settings.REDIS_URL ? "Redis" : "job store";
  try {
    const queue = await createJobQueue(settings);
    try {
      await queue.ping();
    } finally {
      await queue.close();
    }
    return { name, status: "ok", detail: settings.REDIS_URL ? "Redis answered" : "embedded SQLite store is usable" };
  } catch (err) {
    return { name, status: "fail", detail: `${presentError(err).plain}${settings.REDIS_URL ? " Check REDIS_URL and that redis-server runs." : ""}` };
  }
}

const megabytes = (bytes: number) => `${(bytes / 1024 ** 2).toFixed(1)} MB`;

/** The job store's size: records (the SQLite file and WAL, or Redis hashes) and payload files, and how long jobs stay. */
export function storeSizeCheck(usage: StoreUsage, retentionDays: number, where: string): Check {
  const kept = retentionDays > 0 ? `ended jobs are deleted after ${retentionDays} days` : "ended jobs are kept forever (AUTOFIX_JOB_RETENTION_DAYS=0)";
  const detail = `${usage.jobs} jobs; records ${megabytes(usage.recordBytes)} in ${where}; ${usage.payloadFiles} payload files (deltas, logs, reports), ${megabytes(usage.payloadBytes)}; ${kept}`;
  const large = usage.recordBytes + usage.payloadBytes > 1024 ** 3;
  if (large) return { name: "job store size", status: "warn", detail: `${detail}: over 1 GB; set AUTOFIX_JOB_RETENTION_DAYS lower to keep fewer ended jobs` };
  return { name: "job store size", status: "ok", detail };
}

async function checkStoreSize(settings: Settings): Promise<Check> {
  try {
    const queue = await createJobQueue(settings);
    try {
      return storeSizeCheck(await queue.usage(), settings.AUTOFIX_JOB_RETENTION_DAYS, settings.REDIS_URL ? "Redis" : "the SQLite file");
    } finally {
      await queue.close();
    }
  } catch (err) {
    return { name: "job store size", status: "warn", detail: `could not measure the job store (${presentError(err).plain})` };
  }
}

/** Webhook deliveries answered but not yet decided: a few while the app runs; old ones mean nobody decides them. */
export function inboxCheck(pending: { count: number; oldestReceivedAt?: string }, leaseMs: number, nowMs = Date.now()): Check {
  const name = "webhook inbox";
  if (pending.count === 0) return { name, status: "ok", detail: "no webhook deliveries waiting to be decided" };
  const ageS = pending.oldestReceivedAt ? Math.round((nowMs - Date.parse(pending.oldestReceivedAt)) / 1000) : 0;
  const detail = `${pending.count} webhook deliveries answered but not yet decided, the oldest ${ageS} s ago`;
  // A running app decides a dead process's deliveries within a lease and a sweep (15 s).
  if (ageS * 1000 > 2 * leaseMs + 15_000)
    return {
      name,
      status: "warn",
      detail: `${detail}: no app process is deciding them. Start the app (\`npm start\`): it decides them at start; if they stay, its log says why ("webhook delivery")`,
    };
  return { name, status: "ok", detail };
}

async function checkInbox(settings: Settings): Promise<Check> {
  try {
    const queue = await createJobQueue(settings);
    try {
      return queue.inbox
        ? inboxCheck(await queue.inbox.pending(), settings.AUTOFIX_INBOX_LEASE_MS)
        : { name: "webhook inbox", status: "ok", detail: "none in this store" };
    } finally {
      await queue.close();
    }
  } catch (err) {
    return { name: "webhook inbox", status: "warn", detail: `could not read the webhook inbox (${presentError(err).plain})` };
  }
}

async function checkSandbox(settings: Settings): Promise<Check[]> {
  try {
    const sandbox = await createSandbox(sandboxOptionsFrom(settings));
    const checks: Check[] = [];
    if (sandbox.isolation === "bubblewrap") checks.push({ name: "sandbox", status: "ok", detail: "bubblewrap isolates agents and repository commands" });
    else
      checks.push({
        name: "sandbox",
        status: "warn",
        detail: `${sandbox.fallbackReason ?? "process isolation only"}: install bubblewrap (apt-get install bubblewrap) and allow user namespaces`,
      });
    checks.push(...describeSandbox(sandbox.description));
    return checks;
  } catch (err) {
    return [{ name: "sandbox", status: "fail", setup: isSetupError(err), detail: presentError(err).plain }];
  }
}

/** What runs will see and how they are held: the toolchain mounts, PATH, memory cap and command view. */
export function describeSandbox(d: SandboxDescription): Check[] {
  const visible = d.readOnlyPaths.length ? d.readOnlyPaths.join(", ") : "nothing beyond the system directories";
  const checks: Check[] = [
    {
      name: "sandbox toolchains",
      status: "ok",
      detail: `read-only: ${visible}; PATH: ${d.pathDirs.join(":")}${
        Object.keys(d.env).length
          ? `; ${Object.entries(d.env)
              .map(([k, v]) => `${k}=${v}`)
              .join(" ")}`
          : ""
      }`,
    },
  ];
  if (d.refused.length > 0) {
    checks.push({
      name: "sandbox toolchains",
      status: "warn",
      detail: `not shown: ${d.refused.map((r) => `${r.path} (${r.reason})`).join("; ")}. Install toolchains outside home directories and autofix's own files, or name them in AUTOFIX_SANDBOX_MOUNTS`,
    });
  }
  const cap = formatMemory(d.memory.maxBytes);
  checks.push(
    d.memory.enforcedBy === "cgroup"
      ? {
          name: "sandbox memory",
          status: "ok",
          detail: `each agent run and command is capped at ${cap} of memory (a cgroup per run); AUTOFIX_SANDBOX_MEMORY_MB changes it`,
        }
      : d.memory.enforcedBy === "rlimit-as"
        ? {
            name: "sandbox memory",
            status: "warn",
            detail: `no memory cgroup can be created here: the ${cap} cap is on address space (RLIMIT_AS), which Node and WebAssembly runtimes reserve far beyond what they use; delegate a cgroup to autofix or raise AUTOFIX_SANDBOX_MEMORY_MB`,
          }
        : { name: "sandbox memory", status: "warn", detail: "no memory cap: neither a memory cgroup nor prlimit (util-linux) is available" },
  );
  checks.push(
    d.commandView === "overlay"
      ? { name: "sandbox command view", status: "ok", detail: "repository commands run on an overlay (copy-on-write) view of the spawn" }
      : {
          name: "sandbox command view",
          status: "warn",
          detail:
            "overlay mounts are not available here: each side of the deterministic gate copies the spawn (cp -a) before its commands; allow unprivileged user namespaces with bubblewrap for the overlay",
        },
  );
  return checks;
}

export async function doctorCommand(_argv: string[]): Promise<number> {
  let settings: Settings;
  try {
    settings = loadSettings();
  } catch (err) {
    process.stdout.write(`✖ settings: ${presentError(err).plain}\n`);
    return ExitCode.usage;
  }
  const checks = [
    await checkDataDir(settings),
    await checkDisk(settings),
    await checkQueue(settings),
    ...(await checkSandbox(settings)),
    await checkApp(settings),
    await checkLlm(settings, "agent"),
    await checkLlm(settings, "judge"),
    ...(await checkAgents(settings)),
  ];
  checks.push(await checkStoreSize(settings));
  checks.push(await checkInbox(settings));
  const icon = { ok: "✔", warn: "!", fail: "✖" } as const;
  for (const c of checks) process.stdout.write(`${icon[c.status]} ${c.name}: ${c.detail}\n`);
  const failed = checks.filter((c) => c.status === "fail").length;
  process.stdout.write(failed ? `\n${failed} check(s) failed: fix them and run \`autofix doctor\` again.\n` : "\nNothing blocks autofix from running.\n");
  // The same codes as everywhere else: a set-up problem is 2, an outage 3.
  if (checks.some((c) => c.status === "fail" && c.setup)) return ExitCode.usage;
  return failed ? ExitCode.infrastructure : ExitCode.ok;
}
