// The keeper that makes a job's spawn survive a resume: after a crash the spawn is re-materialized
// at the pinned commit and the last delta re-applied.
import { applyDelta, assertSpawn, materialize, recordBaseline, removeSpawn } from "../engine/index.js";
import type { Baseline, Delta, Engine, RepoSource, SpareRegistry, Spawn } from "../engine/index.js";
import type { PipelineEnv, SpawnRecord } from "./context.js";

type Paths = PipelineEnv["paths"];

export class SpawnKeeper {
  private verified: boolean;
  private baselineSpawn?: Spawn;

  static async create(
    jobId: string,
    source: RepoSource,
    baseRef: string,
    paths: Paths,
    signal: AbortSignal,
    spares?: SpareRegistry,
    engine?: Engine,
  ): Promise<SpawnRecord> {
    // A long-lived worker (it has spares) also creates the files off its event loop.
    const spawn = await materialize({
      jobId,
      source,
      baseRef,
      workRoot: paths.workRoot,
      cacheRoot: paths.cacheRoot,
      signal,
      spares,
      checkoutOn: spares ? "thread" : "main",
      engine,
    });
    return { spawn, baseline: await recordBaseline(spawn, engine) };
  }

  constructor(
    readonly record: SpawnRecord,
    private readonly source: RepoSource,
    private readonly paths: Paths,
    resumed: boolean,
    private readonly engine?: Engine,
  ) {
    this.verified = !resumed;
  }

  get spawn(): Spawn {
    return this.record.spawn;
  }

  get baseline(): Baseline {
    return this.record.baseline;
  }

  /**
   * Make sure the spawn holds exactly `delta` on top of the pinned commit. A fresh run trusts its
   * spawn; a resumed one rebuilds it, because the crash may have left an agent's half-done edits.
   */
  async ensure(delta: Delta | undefined, signal: AbortSignal): Promise<void> {
    if (this.verified) {
      try {
        await assertSpawn(this.spawn);
        return;
      } catch {
        // Missing or altered spawn: rebuild below.
      }
    }
    const { spawn } = this.record;
    await materialize({
      jobId: spawn.jobId,
      source: this.source,
      baseRef: spawn.baseSha,
      workRoot: this.paths.workRoot,
      cacheRoot: this.paths.cacheRoot,
      signal,
      engine: this.engine,
    });
    // Re-record the stat snapshot the delta relies on, then re-apply the change.
    await recordBaseline(spawn, this.engine);
    if (delta) await applyDelta(delta, spawn.dir);
    this.verified = true;
  }

  /** A second, read-only-by-convention spawn of the pinned commit, for running checks on the baseline. */
  async baselineDir(signal: AbortSignal): Promise<string> {
    if (!this.baselineSpawn) {
      const { spawn } = this.record;
      this.baselineSpawn = await materialize({
        jobId: `${spawn.jobId}--baseline`,
        source: this.source,
        baseRef: spawn.baseSha,
        workRoot: this.paths.workRoot,
        cacheRoot: this.paths.cacheRoot,
        signal,
        engine: this.engine,
      });
    }
    return this.baselineSpawn.dir;
  }

  async remove(): Promise<void> {
    await removeSpawn(this.spawn);
    if (this.baselineSpawn) await removeSpawn(this.baselineSpawn);
  }
}
