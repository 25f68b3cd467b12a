// `GET /autofix/healthz` for load balancers: 200 only when the job store answers a ping in time.
// Unauthenticated, so the reason it gives is stripped of anything that looks like a credential.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { JobQueue } from "../jobs/index.js";

export const healthPath = "/autofix/healthz";
const pingTimeoutMs = 3_000;

/** A redis://user:secret@host URL in an error message must not reach an unauthenticated caller. */
export function redactReason(message: string): string {
  return message.replace(/\/\/[^/\s@]*@/g, "//***@").slice(0, 300);
}

/** A store that lost its server may wait on reconnects forever; operator routes answer within a bound. */
export async function withinMs<T>(work: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export async function answerHealth(queue: JobQueue, res: ServerResponse, log?: { warn(obj: object, msg?: string): void }): Promise<void> {
  let body: Record<string, string>;
  try {
    await withinMs(queue.ping(), pingTimeoutMs, "the job store");
    res.statusCode = 200;
    body = { status: "ok", queue: queue.driver };
  } catch (err) {
    const reason = redactReason(err instanceof Error ? err.message : String(err));
    log?.warn({ reason, queue: queue.driver }, "health check failed: the job store did not answer");
    res.statusCode = 503;
    body = { status: "unavailable", queue: queue.driver, reason };
  }
  res.setHeader("Content-Type", "application/json; charset=utf-8");
  res.setHeader("Cache-Control", "no-store");
  res.end(JSON.stringify(body));
}

export function isHealthRequest(req: IncomingMessage, pathname: string): boolean {
  return pathname === healthPath && (req.method === "GET" || req.method === "HEAD");
}
