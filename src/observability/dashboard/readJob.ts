// Reads what the pipeline saved on a job (gate results, agent run, publish) through zod, so a step
// output of an unexpected shape becomes "unavailable" on the page instead of an exception.
import { z } from "zod";
import type { JobRecord, StepRecord } from "../../jobs/index.js";

const usageSchema = z.object({
  inputTokens: z.number(),
  outputTokens: z.number(),
  costUsd: z.number().optional(),
});

const commandSchema = z.object({
  name: z.string(),
  command: z.string(),
  status: z.string(),
  exitCode: z.number().nullable(),
  durationMs: z.number(),
  outputTail: z.string(),
  tests: z.object({ regressed: z.array(z.string()), fixed: z.array(z.string()), missing: z.array(z.string()) }).optional(),
});

const findingSchema = z.object({
  path: z.string(),
  line: z.number().optional(),
  severity: z.string(),
  text: z.string(),
});

export const gateResultSchema = z.object({
  gate: z.string(),
  status: z.enum(["pass", "fail", "error", "skipped"]),
  summary: z.string(),
  reasons: z.array(z.string()),
  durationMs: z.number(),
  model: z.string().optional(),
  usage: usageSchema.optional(),
  commands: z.array(commandSchema).optional(),
  findings: z.array(findingSchema).optional(),
  questions: z.array(z.string()).optional(),
  verdict: z.string().optional(),
  confidence: z.number().optional(),
  unrelatedPaths: z.array(z.string()).optional(),
  notes: z.array(z.string()).optional(),
});
export type GateView = z.infer<typeof gateResultSchema>;

const gatesOutputSchema = z.object({ results: z.array(gateResultSchema) });

const agentOutputSchema = z.object({
  agent: z.object({
    agent: z.string(),
    exitCode: z.number().nullable(),
    timedOut: z.boolean(),
    durationMs: z.number(),
    outputTail: z.string(),
    summary: z.string().optional(),
    usage: usageSchema.optional(),
    stopReason: z.string().optional(),
    permissionDenials: z.array(z.string()).optional(),
    isolation: z.string().optional(),
  }),
});
export type AgentView = z.infer<typeof agentOutputSchema>["agent"];

const publishOutputSchema = z.object({
  prUrl: z.string().optional(),
  prNumber: z.number().int().positive().optional(),
});

/** The pipeline's `pr` step saves what `ensurePr` returned. */
const prStepOutputSchema = z
  .object({ number: z.number().int().positive(), htmlUrl: z.string() })
  .transform((pr) => ({ prNumber: pr.number, prUrl: pr.htmlUrl }));

/** The pipeline's `resolve` step saves the issue it read, title included. */
const resolveOutputSchema = z.object({ issue: z.object({ title: z.string() }) });

/** Steps that say which pull request a job opened, by the shape of their output. */
const publishSteps: Record<string, z.ZodType<{ prUrl?: string; prNumber?: number }>> = {
  publish: publishOutputSchema,
  pr: prStepOutputSchema,
};

/** A value read from a step, or the fact that the step's output could not be read. */
export type Readout<T> = { ok: true; value: T } | { ok: false };

export interface StepView {
  name: string;
  status: StepRecord["status"];
  startedAt: string;
  durationMs?: number;
  error?: { code: string; message: string };
}

export interface AttemptGates {
  attempt: number;
  step: StepView;
  gates: Readout<GateView[]>;
}

export interface AttemptAgent {
  attempt: number;
  step: StepView;
  agent: Readout<AgentView>;
}

export interface JobView {
  steps: StepView[];
  gatesByAttempt: AttemptGates[];
  agentByAttempt: AttemptAgent[];
  /** From the outcome first, the publish step second; only http(s) links survive. */
  prUrl?: string;
  prNumber?: number;
  /** The job's own title, else the one the pipeline read when it resolved the issue. */
  issueTitle?: string;
  /** The publish step, when it ran: its output read, or unavailable. */
  publish?: { step: StepView; output: Readout<{ prUrl?: string; prNumber?: number }> };
}

function read<T>(schema: z.ZodType<T>, value: unknown): Readout<T> {
  const parsed = schema.safeParse(value);
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false };
}

function durationMs(step: StepRecord, now: Date): number | undefined {
  const start = Date.parse(step.startedAt);
  const end = step.finishedAt ? Date.parse(step.finishedAt) : step.status === "running" ? now.getTime() : NaN;
  const ms = end - start;
  return Number.isFinite(ms) && ms >= 0 ? ms : undefined;
}

function attemptOf(name: string, family: string): number | undefined {
  const match = new RegExp(`^${family}-(\\d+)$`).exec(name);
  return match ? Number(match[1]) : undefined;
}

/** A link the page may render: http or https only (a `javascript:` URL stays text nowhere). */
export function safeHttpUrl(value: string | undefined): string | undefined {
  if (!value) return undefined;
  try {
    const url = new URL(value);
    return url.protocol === "https:" || url.protocol === "http:" ? url.href : undefined;
  } catch {
    return undefined;
  }
}

export function readJob(job: JobRecord, now = new Date()): JobView {
  const steps: StepView[] = [];
  const gatesByAttempt: AttemptGates[] = [];
  const agentByAttempt: AttemptAgent[] = [];
  let publish: JobView["publish"];
  let resolvedTitle: string | undefined;

  for (const raw of Array.isArray(job.steps) ? job.steps : []) {
    const step: StepView = {
      name: String(raw.name),
      status: raw.status,
      startedAt: String(raw.startedAt),
      durationMs: durationMs(raw, now),
      error: raw.error,
    };
    steps.push(step);
    const done = raw.status === "done";
    const gatesAttempt = attemptOf(step.name, "gates");
    if (gatesAttempt !== undefined) {
      const gates = done ? read(gatesOutputSchema, raw.output) : { ok: false as const };
      gatesByAttempt.push({
        attempt: gatesAttempt,
        step,
        gates: gates.ok ? { ok: true, value: gates.value.results } : { ok: false },
      });
    }
    const agentAttempt = attemptOf(step.name, "agent");
    if (agentAttempt !== undefined) {
      const agent = done ? read(agentOutputSchema, raw.output) : { ok: false as const };
      agentByAttempt.push({
        attempt: agentAttempt,
        step,
        agent: agent.ok ? { ok: true, value: agent.value.agent } : { ok: false },
      });
    }
    const publishSchema = Object.hasOwn(publishSteps, step.name) ? publishSteps[step.name] : undefined;
    if (publishSchema) publish = { step, output: done ? read(publishSchema, raw.output) : { ok: false } };
    if (step.name === "resolve" && done) {
      const resolved = read(resolveOutputSchema, raw.output);
      if (resolved.ok) resolvedTitle = resolved.value.issue.title;
    }
  }

  const fromPublish = publish?.output.ok ? publish.output.value : {};
  return {
    steps,
    gatesByAttempt: gatesByAttempt.sort((a, b) => a.attempt - b.attempt),
    agentByAttempt: agentByAttempt.sort((a, b) => a.attempt - b.attempt),
    prUrl: safeHttpUrl(job.outcome?.prUrl) ?? safeHttpUrl(fromPublish.prUrl),
    prNumber: job.outcome?.prNumber ?? fromPublish.prNumber,
    issueTitle: typeof job.spec?.issueTitle === "string" ? job.spec.issueTitle : resolvedTitle,
    publish,
  };
}

/** The gates of the newest attempt that has finished gating, for the job list. */
export function latestGates(view: JobView): AttemptGates | undefined {
  return view.gatesByAttempt.at(-1);
}
