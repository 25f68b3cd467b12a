// Network policy `allow`: the run keeps its own network namespace (nothing reachable), and an HTTP proxy of
// the bot's, reached through a Unix socket bound into the sandbox, lets through only the listed hosts.
// Inside, a tiny forwarder turns 127.0.0.1:<port> into that socket and HTTP(S)_PROXY point at it; a program
// that ignores the proxy variables reaches nothing at all. Every refused host is recorded for the report.
import http from "node:http";
import net from "node:net";
import path from "node:path";

export const proxyPortInside = 3128;

export interface EgressProxy {
  socketPath: string;
  /** "host:port" of every refused connection, in order, once each. */
  readonly refused: string[];
  close(): Promise<void>;
}

/** `host` or `host:port`; `*.example.com` matches subdomains. */
export function hostAllowed(allow: string[], host: string, port: number): boolean {
  const name = host.replace(/^\[|\]$/g, "").toLowerCase();
  return allow.some((entry) => {
    const [pattern, allowedPort] = entry.toLowerCase().split(/:(?=\d+$)/) as [string, string | undefined];
    if (allowedPort !== undefined && Number(allowedPort) !== port) return false;
    return pattern.startsWith("*.") ? name.endsWith(pattern.slice(1)) : name === pattern;
  });
}

export async function startEgressProxy(dir: string, allow: string[]): Promise<EgressProxy> {
  const socketPath = path.join(dir, "egress.sock");
  const refused: string[] = [];
  const refuse = (target: string): void => {
    if (!refused.includes(target)) refused.push(target);
  };
  const server = http.createServer((req, res) => {
    // Plain HTTP through a proxy: the request line holds the absolute URL.
    let url: URL;
    try {
      url = new URL(req.url ?? "");
    } catch {
      res.writeHead(400).end("autofix egress proxy: absolute URL expected\n");
      return;
    }
    const port = Number(url.port || (url.protocol === "https:" ? 443 : 80));
    if (url.protocol !== "http:" || !hostAllowed(allow, url.hostname, port)) {
      refuse(`${url.hostname}:${port}`);
      res.writeHead(403).end(`autofix egress proxy: ${url.hostname}:${port} is not in the allowed hosts\n`);
      return;
    }
    const upstream = http.request({ host: url.hostname, port, path: `${url.pathname}${url.search}`, method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on("error", (err) => res.writeHead(502).end(`autofix egress proxy: ${err.message}\n`));
    req.pipe(upstream);
  });
  server.on("connect", (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    const [host = "", portText = "443"] = (req.url ?? "").split(/:(?=\d+$)/);
    const port = Number(portText);
    if (!hostAllowed(allow, host, port)) {
      refuse(`${host}:${port}`);
      client.end(`HTTP/1.1 403 Forbidden\r\n\r\n`);
      return;
    }
    const upstream = net.connect(port, host.replace(/^\[|\]$/g, ""), () => {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client).pipe(upstream);
    });
    const end = (): void => {
      upstream.destroy();
      client.destroy();
    };
    upstream.on("error", () => {
      if (!client.destroyed) client.end("HTTP/1.1 502 Bad Gateway\r\n\r\n");
      end();
    });
    client.on("error", end);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(socketPath, () => resolve());
  });
  return {
    socketPath,
    refused,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * argv that starts the in-sandbox forwarder (127.0.0.1:3128 → the proxy's socket), then the command, and
 * exits with the command's status. Node is the forwarder because it is always visible (autofix runs on it).
 */
export function withForwarder(nodePath: string, socketPath: string, argv: string[]): string[] {
  const script = [
    'const net = require("net"), { spawn } = require("child_process");',
    `const server = net.createServer((c) => { const u = net.connect(${JSON.stringify(socketPath)}); c.pipe(u).pipe(c); u.on("error", () => c.destroy()); c.on("error", () => u.destroy()); });`,
    `server.listen(${proxyPortInside}, "127.0.0.1", () => {`,
    '  const child = spawn(process.argv[1], process.argv.slice(2), { stdio: "inherit" });',
    '  for (const s of ["SIGTERM", "SIGINT", "SIGHUP"]) process.on(s, () => child.kill(s));',
    '  child.on("error", (e) => { console.error(`${process.argv[1]}: ${e.code === "ENOENT" ? "not found" : e.message}`); process.exit(127); });',
    '  child.on("exit", (code, signal) => process.exit(code ?? 128 + (require("os").constants.signals[signal] ?? 1)));',
    "});",
  ].join("\n");
  return [nodePath, "-e", script, ...argv];
}

/** Variables that send well-behaved clients (curl, pip, npm, git, Node's undici with them set) to the proxy. */
export function proxyEnv(): Record<string, string> {
  const url = `http://127.0.0.1:${proxyPortInside}`;
  return { HTTP_PROXY: url, HTTPS_PROXY: url, http_proxy: url, https_proxy: url, NO_PROXY: "", no_proxy: "" };
}
