// Vitest global setup: every test file's temporary directories (repositories, data directories, spawns) go under
// one root for this run, removed when the run ends. Tests create thousands of them; left in the system's temp
// directory they reached 22 GB on a machine that runs the suite a few times a day.
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";

export default function setup(): () => void {
  const root = mkdtempSync(path.join(os.tmpdir(), "autofix-vitest-"));
  // Test workers and the processes they start inherit it: os.tmpdir() reads TMPDIR on every call.
  process.env.TMPDIR = root;
  return () => {
    try {
      rmSync(root, { recursive: true, force: true, maxRetries: 3 });
    } catch (err) {
      console.warn(`could not remove the test run's temporary directory ${root}: ${String(err)}`);
    }
  };
}
