// The one status comment per issue, edited in place at every step. Failures to edit it never fail
// the job: the comment is a courtesy, the check runs and the PR are the record.
import type { Forge, RepoRef } from "../forge/index.js";
import { renderStatusFinal, renderStatusInProgress, type StatusPhase } from "./render.js";

export interface Log {
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
  debug(obj: object | string, msg?: string): void;
}

export class StatusReporter {
  private readonly history: string[] = [];
  private readonly startedAtMs = Date.now();

  constructor(
    private readonly forge: Forge,
    private readonly repo: RepoRef,
    private readonly issueNumber: number,
    private readonly key: string,
    private readonly log: Log,
    private readonly enabled = true,
  ) {}

  note(line: string): void {
    const elapsed = ((Date.now() - this.startedAtMs) / 1000).toFixed(0);
    this.history.push(`${line} _(${elapsed} s)_`);
  }

  async phase(p: StatusPhase): Promise<void> {
    await this.write(renderStatusInProgress(this.key, p, this.history));
  }

  async final(headline: string, details: string[]): Promise<void> {
    await this.write(renderStatusFinal(this.key, headline, details));
  }

  private async write(body: string): Promise<void> {
    if (!this.enabled) return;
    try {
      await this.forge.ensureStatusComment(this.repo, this.issueNumber, `<!-- autofix:status:${this.key} -->`, body);
    } catch (err) {
      this.log.warn({ err }, "could not update the status comment");
    }
  }
}
