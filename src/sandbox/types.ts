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
}

export interface Sandbox {
  readonly isolation: "bubblewrap" | "process";
  /** Why bubblewrap is not used, when it is not (for the start-up log and every report). */
  readonly fallbackReason?: string;
  run(request: SandboxRequest): Promise<SandboxResult>;
}
