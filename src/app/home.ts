// `GET /`: what a person (or a load balancer probe) opening the server's address sees instead of a 404:
// the app, its version, and where the webhook endpoint, the dashboard, the health check and metrics are.
import { readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";

type NodeHandler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

/** package.json sits two levels above this file in src/app/ and in dist/app/ alike. */
function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version?: string }).version ?? "unknown";
  } catch {
    return "unknown";
  }
}

/** `operators`: the start-up line saying whether the dashboard is on and how to turn it on. */
export function homeHandler(opts: { operators: string; worker: "embedded" | "off" }): NodeHandler {
  const body = JSON.stringify(
    {
      app: "autofix",
      version: packageVersion(),
      about: "A GitHub App that turns an issue labelled `autofix` into a gated pull request holding exactly the agent's change.",
      webhooks: "POST /api/github/webhooks",
      dashboard: "/autofix",
      health: "/autofix/healthz",
      metrics: "/metrics",
      operators: opts.operators,
      worker: opts.worker === "embedded" ? "embedded (jobs run in this process)" : "off (AUTOFIX_WORKER=off: `autofix worker` processes run the jobs)",
    },
    null,
    2,
  );
  return async (req, res) => {
    const pathname = (req.url ?? "/").split("?")[0];
    if (pathname !== "/" || (req.method !== "GET" && req.method !== "HEAD")) return false;
    res.statusCode = 200;
    res.setHeader("Content-Type", "application/json; charset=utf-8");
    res.setHeader("Cache-Control", "no-store");
    res.end(req.method === "HEAD" ? undefined : `${body}\n`);
    return true;
  };
}
