// Serves a FakeGitHub (nock, in this test process) on a real loopback port, so CLI subprocesses
// reach the same mocked GitHub through GHE_HOST: one shared state for every process of a test.
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { FakeGitHub } from "./githubApi.js";

export interface GitHubProxy {
  /** Settings that point the CLI at this proxy (GitHub Enterprise Server style). */
  env: { GHE_HOST: string; GHE_PROTOCOL: string };
  close(): Promise<void>;
}

export async function startGitHubProxy(fake: FakeGitHub): Promise<GitHubProxy> {
  const target = new URL(fake.baseUrl);
  let proxyOrigin = "";
  const server = http.createServer((req, res) => {
    // A failure in the test front answers 502 instead of an unhandled rejection.
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const body = Buffer.concat(chunks);
      const path = (req.url ?? "/").replace(/^\/api\/v3/, "");
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string" && !["host", "content-length", "connection"].includes(k)) headers[k] = v;
      try {
        const answer = await fetch(`${target.origin}${target.pathname.replace(/\/$/, "")}${path}`, {
          method: req.method,
          headers,
          body: body.length ? body : undefined,
        });
        const text = await answer.text();
        const out: Record<string, string> = {};
        answer.headers.forEach((v, k) => {
          if (k === "content-length" || k === "content-encoding" || k === "transfer-encoding") return;
          out[k] = k === "link" ? v.split(`${target.origin}${target.pathname.replace(/\/$/, "")}`).join(`${proxyOrigin}/api/v3`) : v;
        });
        res.writeHead(answer.status, out);
        res.end(text);
      } catch (err) {
        res.writeHead(502);
        res.end(String(err));
      }
    })().catch((err: unknown) => {
      if (!res.headersSent) res.statusCode = 502;
      res.end(String(err));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  proxyOrigin = `http://127.0.0.1:${port}`;
  return {
    env: { GHE_HOST: `127.0.0.1:${port}`, GHE_PROTOCOL: "http" },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
