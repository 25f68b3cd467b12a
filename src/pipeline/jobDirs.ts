// A job's directories on disk (spawns, scratch, a crashed absorb's gitdir), removed when its run ends or waits.
import { readdir, rm } from "node:fs/promises";
import path from "node:path";
import { absorbDirPrefix, removeSpawn, spawnDirName } from "../engine/index.js";

export async function cleanupJobDirs(jobId: string, workRoot: string, scratchRoot: string): Promise<void> {
  // Independent trees, removed side by side (each is thousands of unlinks; the two spawns are the bulk of a
  // one-shot run's last second).
  await Promise.all([
    rm(path.join(scratchRoot, jobId.replace(/[^A-Za-z0-9_.-]/g, "_")), { recursive: true, force: true }),
    ...[jobId, `${jobId}--baseline`].map((id) =>
      removeSpawn({ jobId: id, dir: path.join(path.resolve(workRoot), spawnDirName(id)), baseRef: "", baseSha: "" }),
    ),
  ]);
  // A worker killed between absorb and the end of its push leaves the job's private gitdir behind.
  const absorbRoot = path.join(path.resolve(workRoot), ".absorb");
  const prefix = absorbDirPrefix(jobId);
  for (const name of await readdir(absorbRoot).catch(() => [] as string[])) {
    if (name.startsWith(prefix)) await rm(path.join(absorbRoot, name), { recursive: true, force: true });
  }
}
