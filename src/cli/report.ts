// What a CLI run prints at the end: the spawn, the delta, each gate's report and the result, as
// text for people or as one JSON document with --json.
import type { Forge } from "../forge/index.js";
import type { EphemeralContext } from "../jobs/index.js";
import type { JobOutcome } from "../jobs/index.js";
import type { AttemptRecord, SpawnRecord } from "../pipeline/index.js";
import type { GateResult } from "../gates/index.js";
import { agentOutcomeLines, gatesSentence, isPartialChange, renderDeltaStats } from "../pipeline/index.js";

export function collectRun(ctx: EphemeralContext) {
  const spawn = ctx.outputs.get("spawn") as SpawnRecord | undefined;
  const attempts: { attempt: AttemptRecord; gates?: GateResult[] }[] = [];
  for (let k = 1; ctx.outputs.has(`agent-${k}`); k++) {
    const gates = ctx.outputs.get(`gates-${k}`) as { results: GateResult[] } | undefined;
    attempts.push({ attempt: ctx.outputs.get(`agent-${k}`) as AttemptRecord, gates: gates?.results });
  }
  return { spawn, attempts };
}

export function printReport(
  input: { ctx: EphemeralContext; outcome: JobOutcome; forge: Forge; json: boolean; dryRun: boolean },
  out: NodeJS.WritableStream = process.stdout,
): void {
  const { spawn, attempts } = collectRun(input.ctx);
  const last = attempts.at(-1);
  const reportPaths = (input.forge as { reportPaths?: { json: string; markdown: string } }).reportPaths;
  if (input.json) {
    out.write(
      JSON.stringify(
        {
          outcome: input.outcome,
          spawn: spawn && { dir: spawn.spawn.dir, baseRef: spawn.spawn.baseRef, baseSha: spawn.spawn.baseSha },
          attempts: attempts.map((a) => ({
            attempt: a.attempt.attempt,
            agent: {
              name: a.attempt.agent.agent,
              exitCode: a.attempt.agent.exitCode,
              durationMs: a.attempt.agent.durationMs,
              timedOut: a.attempt.agent.timedOut,
              stopReason: a.attempt.agent.stopReason,
              summary: a.attempt.agent.summary,
              permissionDenials: a.attempt.agent.permissionDenials,
              failure: a.attempt.agent.failure,
            },
            delta: {
              stats: a.attempt.delta.stats,
              files: a.attempt.delta.files.map((f) => ({ path: f.path, kind: f.kind, binary: f.binary, patch: f.patch })),
            },
            violations: a.attempt.violations,
            gates: a.gates,
          })),
          report: reportPaths,
        },
        null,
        2,
      ) + "\n",
    );
    return;
  }
  const lines: string[] = [];
  if (spawn) lines.push(`Spawn: ${spawn.spawn.dir} (pinned to ${spawn.spawn.baseSha.slice(0, 12)} of ${spawn.spawn.baseRef}, sync: none)`);
  if (last) {
    const run = last.attempt.agent;
    lines.push("", `Agent (attempt ${last.attempt.attempt}): ${run.agent}, ${(run.durationMs / 1000).toFixed(1)} s, exit ${run.exitCode ?? "none (stopped)"}`);
    for (const said of agentOutcomeLines(run)) lines.push(`  ${said}`);
    if (isPartialChange(last.attempt)) lines.push("  Partial change: the agent ran out of time; the change below is what it had written by then.");
    lines.push("", `Delta (attempt ${last.attempt.attempt}): ${renderDeltaStats(last.attempt.delta)}`);
    for (const f of last.attempt.delta.files) lines.push(f.patch ? f.patch.trimEnd() : `${f.kind} ${f.path}${f.binary ? " (binary)" : ""}`);
    for (const v of last.attempt.violations) lines.push(`guard: ${v.message}`);
    for (const g of last.gates ?? []) {
      lines.push("", `Gate ${g.gate}: ${g.status.toUpperCase()} — ${g.summary}`);
      for (const r of g.reasons) lines.push(`  - ${r}`);
      for (const n of g.notes ?? []) lines.push(`  note: ${n}`);
      for (const c of g.commands ?? [])
        lines.push(`  $ ${c.command} → ${c.status}${c.detectedFrom ? ` (detected from ${c.detectedFrom})` : ""}, ${(c.durationMs / 1000).toFixed(1)} s`);
    }
  }
  if (last?.gates?.length) lines.push("", `Gates: ${gatesSentence(last.gates)}`);
  lines.push("", `Result: ${input.outcome.message}`);
  if (input.outcome.branch) lines.push(`Branch: ${input.outcome.branch}`);
  if (reportPaths) lines.push(`Report: ${reportPaths.markdown}`);
  out.write(lines.join("\n") + "\n");
}
