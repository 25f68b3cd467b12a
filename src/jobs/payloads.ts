// Step outputs too large for a job row (deltas, logs, reports) live as files under the data directory, one
// folder per job, named by the SHA-256 of their JSON; the row keeps a reference. Both drivers use it, and a
// job's folder goes with the job when its retention ends.
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { StepRecord } from "./types.js";

/** Outputs up to this size (as JSON) stay in the row: most steps' outputs are a few hundred bytes. */
export const INLINE_OUTPUT_MAX_BYTES = 16 * 1024;

export interface PayloadRef {
  sha256: string;
  bytes: number;
}

/** A step whose output file is gone (another machine's disk, or deleted by hand) is run again on resume. */
export function outputLost(step: StepRecord): boolean {
  return (step as { outputLost?: boolean }).outputLost === true;
}

const safeJobId = (jobId: string) => jobId.replace(/[^A-Za-z0-9_.-]/g, "_");

export class PayloadStore {
  /** The last externalized output of each step, so saving the same output again neither hashes nor writes it. */
  private readonly written = new Map<string, { output: unknown; ref: PayloadRef }>();

  constructor(readonly root: string) {}

  private fileOf(jobId: string, ref: PayloadRef): string {
    return path.join(this.root, safeJobId(jobId), `${ref.sha256}.json`);
  }

  /** The steps as a row stores them: a large output replaced by `outputRef`. */
  externalize(jobId: string, steps: StepRecord[]): StepRecord[] {
    return steps.map((step) => {
      if (step.output === undefined) return step;
      const memoKey = `${jobId}\0${step.name}`;
      const memo = this.written.get(memoKey);
      if (memo && memo.output === step.output) return this.withRef(step, memo.ref);
      const json = JSON.stringify(step.output);
      if (json.length <= INLINE_OUTPUT_MAX_BYTES) return step;
      const body = Buffer.from(json, "utf8");
      const ref = { sha256: createHash("sha256").update(body).digest("hex"), bytes: body.length };
      const file = this.fileOf(jobId, ref);
      if (!existsSync(file)) {
        mkdirSync(path.dirname(file), { recursive: true });
        // Written aside and renamed: a reader never sees half a file under the final name.
        const temp = `${file}.${randomBytes(4).toString("hex")}.tmp`;
        writeFileSync(temp, body);
        renameSync(temp, file);
      }
      this.written.set(memoKey, { output: step.output, ref });
      return this.withRef(step, ref);
    });
  }

  private withRef(step: StepRecord, ref: PayloadRef): StepRecord {
    const { output: _output, ...rest } = step;
    return { ...rest, outputRef: ref } as StepRecord;
  }

  /**
   * The steps as callers read them: a referenced output is read from its file on first use (a getter, not
   * enumerable, so copying or listing records never loads it). A missing file marks the step `outputLost`.
   */
  attach(jobId: string, steps: StepRecord[]): StepRecord[] {
    for (const step of steps) {
      const ref = (step as { outputRef?: PayloadRef }).outputRef;
      if (!ref) continue;
      const file = this.fileOf(jobId, ref);
      if (!existsSync(file)) {
        Object.defineProperty(step, "outputLost", { value: true, enumerable: false });
        continue;
      }
      let loaded: { value: unknown } | undefined;
      Object.defineProperty(step, "output", {
        enumerable: false,
        configurable: true,
        get: () => (loaded ??= { value: JSON.parse(readFileSync(file, "utf8")) as unknown }).value,
      });
    }
    return steps;
  }

  /** Deletes a job's payload files (its retention ended, or it was pruned). */
  remove(jobId: string): void {
    for (const key of this.written.keys()) if (key.startsWith(`${jobId}\0`)) this.written.delete(key);
    rmSync(path.join(this.root, safeJobId(jobId)), { recursive: true, force: true });
  }

  /** Folders of jobs the store no longer holds (a prune that died half-way, a store reset by hand). */
  removeOrphans(hasJob: (jobId: string) => boolean): number {
    let removed = 0;
    for (const name of this.jobFolders()) {
      if (hasJob(name)) continue;
      rmSync(path.join(this.root, name), { recursive: true, force: true });
      removed++;
    }
    return removed;
  }

  private jobFolders(): string[] {
    try {
      return readdirSync(this.root);
    } catch {
      return [];
    }
  }

  /** Files and bytes on disk, for `autofix doctor`. */
  usage(): { jobs: number; files: number; bytes: number } {
    let files = 0;
    let bytes = 0;
    const folders = this.jobFolders();
    for (const folder of folders) {
      const dir = path.join(this.root, folder);
      let names: string[];
      try {
        names = readdirSync(dir);
      } catch {
        continue;
      }
      for (const name of names) {
        try {
          bytes += statSync(path.join(dir, name)).size;
          files++;
        } catch {
          // Removed meanwhile.
        }
      }
    }
    return { jobs: folders.length, files, bytes };
  }
}

/** `<dataDir>/payloads`: beside the SQLite file, or the worker's own disk with Redis. */
export function payloadStoreFor(dataDir: string): PayloadStore {
  return new PayloadStore(path.join(dataDir, "payloads"));
}
