// The engine's data: spawn, baseline, delta. Plain serializable records, saved on the job so a
// resumed job (or a later re-absorb) needs nothing but the record.

/** Where a repository's git data comes from: a smart-HTTP URL (GitHub, GHES, loopback) or a local path. */
export interface RepoSource {
  /** Stable key for the object cache, e.g. "github.com/octo/repo" or "local:/abs/path". */
  cacheKey: string;
  /** Smart-HTTP clone URL, or an absolute path to a local repository (offline runs). */
  url: string;
  /** Called only for the fetch/push itself; never written anywhere. */
  auth?: () => Promise<{ username: string; password: string } | undefined>;
}

export interface Spawn {
  jobId: string;
  /** Working tree root. The agent may write anywhere below it except `.git`. */
  dir: string;
  /** The branch name the base was resolved from (for messages only). */
  baseRef: string;
  /** The commit the spawn was pinned to, resolved once at materialization. */
  baseSha: string;
  /** Set when the working tree came from a verified spare (see spares.ts) rather than a checkout. */
  fromSpare?: boolean;
}

/** Contents of `<spawn>/.git/autofix-spawn.json`; every later step checks it. */
export interface SpawnMarker {
  jobId: string;
  baseSha: string;
  baseRef: string;
  sync: "none";
  createdAt: string;
}

/** Git file modes as git writes them. */
export type GitMode = "100644" | "100755" | "120000" | "160000";

export interface BaselineEntry {
  oid: string;
  mode: GitMode;
}

export interface Baseline {
  baseSha: string;
  /** path (posix, relative to the spawn) → blob id and mode, from git objects, never from the disk. */
  files: Record<string, BaselineEntry>;
}

export type ChangeKind = "add" | "modify" | "delete";

export interface FileChange {
  path: string;
  kind: ChangeKind;
  oldMode?: GitMode;
  newMode?: GitMode;
  oldOid?: string;
  newOid?: string;
  binary: boolean;
  /** For symlinks (mode 120000): the link target as written, never followed. */
  linkTarget?: string;
  /** New content, base64, for add/modify (absent for delete). */
  contentBase64?: string;
  /** New size in bytes (0 for delete). */
  size: number;
  /** Unified patch (jsdiff) for text files; absent for binary files and symlinks. */
  patch?: string;
  linesAdded: number;
  linesDeleted: number;
}

export interface DeltaStats {
  filesAdded: number;
  filesModified: number;
  filesDeleted: number;
  linesAdded: number;
  linesDeleted: number;
  bytesWritten: number;
}

export interface Delta {
  baseSha: string;
  files: FileChange[];
  stats: DeltaStats;
  /** Paths the agent touched that were left out on purpose (agent tool files, ignored paths), for reports. */
  excluded: { path: string; reason: "ignored" | "tool-file" }[];
  /** True when files were written but every one ended byte-identical to the baseline. */
  touchedButRestored: boolean;
}

export interface GuardLimits {
  maxFiles: number;
  maxLinesChanged: number;
  maxDeletedFiles: number;
  /** Share of baseline files deleted above which the delta counts as wholesale deletion (0..1). */
  maxDeletedShare: number;
  maxFileBytes: number;
  maxTotalBytes: number;
  denyPaths: string[];
}

/** A change recorded on a job (its delta and the baseline it was taken against), re-absorbable later. */
export interface RecordedChange {
  delta: Delta;
  baseline: Baseline;
}
