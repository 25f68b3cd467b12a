// One runner for every process autofix does not control: agents and the repository's own commands.

export interface SandboxRequest {
  /** argv[0] and arguments; for shell commands use ["/bin/sh", "-c", cmd]. */
  argv: string[];
  /** The spawn: the only host directory the process may write. */
  cwd: string;
  /** The complete environment (built from an allow-list by the caller); nothing else is inherited. */
  env: Record<string, string>;
  timeoutMs: number;
  network: "open" | "none";
  /** Output kept for reports: the last maxOutputBytes of stdout+stderr interleaved. */
  maxOutputBytes?: number;
  signal?: AbortSignal;
  /** Extra host paths visible read-only (e.g. an agent CLI's install directory). */
  readOnlyPaths?: string[];
  /** Extra host paths visible read-write (e.g. the agent's throw-away HOME). */
  writablePaths?: string[];
  /**
   * The repository's `sandbox.mounts`: checked like the operator's (never a home directory, autofix's own
   * files, credentials), shown read-only with their bin/ first on PATH; refused ones come back in the result.
   */
  mounts?: string[];
  /**
   * Run the command on a copy-on-write view of `cwd` (an overlay mount; only where description.commandView
   * is "overlay"): the spawn stays read-only underneath and every write lands in `<view.dir>/upper`.
   * `layer` (inside `view.dir`) is stacked above `cwd`, read-only: the base commit's side of a change
   * (restored files and whiteouts, see makeWhiteouts), so one spawn also serves as the base checkout.
   */
  view?: { dir: string; layer?: string };
  /**
   * Network policy `allow` (with network "none"): the run reaches only these hosts (`host`, `host:port`,
   * `*.domain`), through the bot's egress proxy (HTTP_PROXY/HTTPS_PROXY); refusals come back in the result.
   */
  allowHosts?: string[];
  stdin?: string;
}

export interface SandboxResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  cancelled: boolean;
  durationMs: number;
  outputTail: string;
  outputTruncated: boolean;
  /** The last maxOutputBytes of stdout alone, for agents whose stdout is machine-readable (JSON, JSONL). */
  stdoutTail?: string;
  /** "bubblewrap" when OS-isolated, "process" when only the environment allow-list applied. */
  isolation: "bubblewrap" | "process";
  /** The run was stopped for using more memory than its cap (Sandbox.memory says which). */
  memoryExceeded?: boolean;
  /** `allowHosts` runs: "host:port" of each connection the egress proxy refused. */
  refusedConnections?: string[];
  /** Repository mounts that were not shown, and why. */
  refusedMounts?: Array<{ path: string; reason: string }>;
}

/** What every run can see and use besides the spawn: for `autofix doctor` and the reports. */
export interface SandboxDescription {
  /** Host directories shown read-only (toolchains from the bot's PATH, operator mounts, the Node installation). */
  readOnlyPaths: string[];
  /** PATH directories of the bot's that runs get. */
  pathDirs: string[];
  /** Toolchain variables set for runs (PYENV_ROOT, RUSTUP_HOME...). */
  env: Record<string, string>;
  refused: Array<{ path: string; reason: string }>;
  /** The memory cap of one run and what enforces it. */
  memory: { maxBytes: number; enforcedBy: "cgroup" | "rlimit-as" | "none" };
  /** How commands get their own view of the spawn: an overlay mount, or a copy where overlays are refused. */
  commandView: "overlay" | "copy";
}

export interface Sandbox {
  readonly isolation: "bubblewrap" | "process";
  /** Why bubblewrap is not used, when it is not (for the start-up log and every report). */
  readonly fallbackReason?: string;
  readonly description: SandboxDescription;
  run(request: SandboxRequest): Promise<SandboxResult>;
}
