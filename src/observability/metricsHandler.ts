// `GET /metrics` in Prometheus text format, behind the dashboard's credentials unless the operator
// declares it public (AUTOFIX_METRICS_PUBLIC=true, for a port bound privately).
import type { IncomingMessage, ServerResponse } from "node:http";
import type { JobQueue } from "../jobs/index.js";
import type { Settings } from "../settings.js";
import { accessHint, basicConfigured, checkAccess } from "./auth.js";
import type { NodeHandler, ObservabilityLog } from "./dashboard/handler.js";
import type { Metrics } from "./metrics.js";

export const metricsPath = "/metrics";

export interface MetricsDeps {
  queue: JobQueue;
  settings: Settings;
  log: ObservabilityLog;
  /** The process's metrics, created by the runtime (tests bring their own). */
  metrics: Metrics;
}

function sendText(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.statusCode = status;
  res.setHeader("Content-Type", "text/plain; charset=utf-8");
  res.setHeader("Cache-Control", "no-store");
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res.end(body);
}

export function createMetricsHandler(deps: MetricsDeps): NodeHandler {
  const { metrics } = deps;
  metrics.watchQueue(deps.queue);
  const challenge = basicConfigured(deps.settings) ? 'Basic realm="autofix metrics"' : 'Bearer realm="autofix metrics"';

  return async (req: IncomingMessage, res: ServerResponse) => {
    const pathname = new URL(req.url ?? "/", "http://metrics.invalid").pathname;
    if (pathname !== metricsPath) return false;
    if (req.method !== "GET" && req.method !== "HEAD") {
      sendText(res, 405, "Only GET reads metrics.\n", { Allow: "GET, HEAD" });
      return true;
    }
    if (!deps.settings.AUTOFIX_METRICS_PUBLIC) {
      const access = checkAccess(req, deps.settings);
      if (access === "off") {
        sendText(
          res,
          404,
          `Metrics are off because they are protected like the dashboard and no credentials are set. ${accessHint(
            deps.settings,
          )} Or set AUTOFIX_METRICS_PUBLIC=true when this port is reachable only by your Prometheus.\n`,
        );
        return true;
      }
      if (access === "denied") {
        sendText(res, 401, "Metrics need the dashboard token (Bearer) or user and password (Basic).\n", {
          "WWW-Authenticate": challenge,
        });
        return true;
      }
    }
    try {
      const body = await metrics.registry.metrics();
      res.statusCode = 200;
      res.setHeader("Content-Type", metrics.registry.contentType);
      res.setHeader("Cache-Control", "no-store");
      res.end(body);
    } catch (err) {
      deps.log.error({ err }, "metrics scrape failed");
      sendText(res, 503, "Collecting metrics failed (the job store may be unreachable); see the server log.\n");
    }
    return true;
  };
}
