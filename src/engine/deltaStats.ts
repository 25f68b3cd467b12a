// The counts a Delta carries, from its file changes (one definition for every way a delta is built).
import type { DeltaStats, FileChange } from "./types.js";

export function deltaStats(files: FileChange[]): DeltaStats {
  return {
    filesAdded: files.filter((f) => f.kind === "add").length,
    filesModified: files.filter((f) => f.kind === "modify").length,
    filesDeleted: files.filter((f) => f.kind === "delete").length,
    linesAdded: files.reduce((n, f) => n + f.linesAdded, 0),
    linesDeleted: files.reduce((n, f) => n + f.linesDeleted, 0),
    bytesWritten: files.reduce((n, f) => n + (f.kind === "delete" ? 0 : f.size), 0),
  };
}
