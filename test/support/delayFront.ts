// A loopback HTTP front that forwards every request byte for byte to another loopback server and can
// hold chosen ones: before forwarding (the request has not happened yet) or after (it happened, but the
// caller has not heard). Crash tests put it before GitHub and git so a worker can be killed mid-request.
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface FrontRequest {
  method: string;
  /** Path and query as sent (e.g. `/api/v3/repos/o/r/pulls`). */
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export interface Hold {
  beforeMs?: number;
  /** Held before forwarding until this settles (the test bounds it), e.g. until another process has acted. */
  until?: Promise<unknown>;
  afterMs?: number;
}

export interface DelayFront {
  url: string;
  host: string;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startDelayFront(targetUrl: string, holdFor: (req: FrontRequest) => Hold | undefined): Promise<DelayFront> {
  const target = new URL(targetUrl);
  const server = http.createServer((req, res) => {
    // A failure in the test front answers 502 instead of an unhandled rejection.
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const request: FrontRequest = { method: req.method ?? "GET", url: req.url ?? "/", headers: req.headers, body: Buffer.concat(chunks) };
      const hold = holdFor(request) ?? {};
      if (hold.beforeMs) await sleep(hold.beforeMs);
      if (hold.until) await hold.until.catch(() => undefined);
      const headers = { ...req.headers, host: target.host, "content-length": String(request.body.length) };
      delete headers["transfer-encoding"];
      delete headers.connection;
      const answer = await new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer } | Error>((resolve) => {
        const out = http.request({ host: target.hostname, port: target.port, method: request.method, path: request.url, headers }, (r) => {
          const parts: Buffer[] = [];
          r.on("data", (d: Buffer) => parts.push(d));
          r.on("end", () => resolve({ status: r.statusCode ?? 502, headers: r.headers, body: Buffer.concat(parts) }));
          r.on("error", resolve);
        });
        out.on("error", resolve);
        out.end(request.body);
      });
      if (hold.afterMs) await sleep(hold.afterMs);
      if (res.destroyed) return;
      if (answer instanceof Error) {
        res.writeHead(502);
        res.end(String(answer));
        return;
      }
      const back = { ...answer.headers };
      delete back["transfer-encoding"];
      delete back.connection;
      back["content-length"] = String(answer.body.length);
      res.writeHead(answer.status, back);
      res.end(answer.body);
    })().catch((err: unknown) => {
      if (!res.headersSent) res.statusCode = 502;
      res.end(String(err));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
