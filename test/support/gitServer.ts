// A loopback smart-HTTP git server wrapping `git http-backend` (CGI), with basic-auth checking so a
// test can prove which credential was used. Native git is fine here; src/ never shells out to git.
import { spawn } from "node:child_process";
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface GitServerOptions {
  /** Directory holding bare repositories, served as /<name>.git */
  root: string;
  /** When set, every request must carry basic auth with one of these passwords (any username). */
  passwords?: string[];
  /** Passwords allowed to push; defaults to `passwords`. */
  pushPasswords?: string[];
}

export interface AuthRecord {
  method: string;
  path: string;
  username?: string;
  password?: string;
  service?: string;
}

export interface GitServer {
  url: string;
  /** Every request seen, with the credentials it carried. */
  requests: AuthRecord[];
  repoUrl(name: string): string;
  close(): Promise<void>;
}

export async function startGitServer(options: GitServerOptions): Promise<GitServer> {
  const requests: AuthRecord[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    const header = req.headers.authorization ?? "";
    let username: string | undefined;
    let password: string | undefined;
    if (header.startsWith("Basic ")) {
      const decoded = Buffer.from(header.slice(6), "base64").toString("utf8");
      const i = decoded.indexOf(":");
      username = decoded.slice(0, i);
      password = decoded.slice(i + 1);
    }
    const service = url.searchParams.get("service") ?? url.pathname.split("/").pop();
    requests.push({ method: req.method ?? "GET", path: url.pathname, username, password, service });

    const isPush = service === "git-receive-pack";
    const allowed = isPush ? (options.pushPasswords ?? options.passwords) : options.passwords;
    if (allowed && (!password || !allowed.includes(password))) {
      res.writeHead(401, { "WWW-Authenticate": 'Basic realm="git"' });
      res.end("unauthorized");
      return;
    }

    const cgi = spawn("git", ["http-backend"], {
      env: {
        PATH: process.env.PATH,
        GIT_PROJECT_ROOT: options.root,
        GIT_HTTP_EXPORT_ALL: "1",
        GIT_HTTP_RECEIVE_PACK: "true",
        PATH_INFO: url.pathname,
        QUERY_STRING: url.search.slice(1),
        REQUEST_METHOD: req.method ?? "GET",
        CONTENT_TYPE: req.headers["content-type"] ?? "",
        HTTP_CONTENT_ENCODING: (req.headers["content-encoding"] as string | undefined) ?? "",
        GIT_PROTOCOL: (req.headers["git-protocol"] as string | undefined) ?? "",
        REMOTE_USER: username ?? "anonymous",
        REMOTE_ADDR: "127.0.0.1",
      },
    });
    req.pipe(cgi.stdin);
    let headersDone = false;
    let buffered = Buffer.alloc(0);
    cgi.stdout.on("data", (chunk: Buffer) => {
      if (headersDone) {
        res.write(chunk);
        return;
      }
      buffered = Buffer.concat([buffered, chunk]);
      const end = buffered.indexOf("\r\n\r\n");
      if (end < 0) return;
      headersDone = true;
      let status = 200;
      for (const line of buffered.subarray(0, end).toString("utf8").split("\r\n")) {
        const i = line.indexOf(":");
        const name = line.slice(0, i).trim();
        const value = line.slice(i + 1).trim();
        if (name.toLowerCase() === "status") status = Number.parseInt(value, 10);
        else res.setHeader(name, value);
      }
      res.writeHead(status);
      res.write(buffered.subarray(end + 4));
    });
    cgi.stderr.resume();
    cgi.on("close", () => res.end());
    cgi.on("error", (err) => {
      res.writeHead(500);
      res.end(String(err));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    requests,
    repoUrl: (name) => `${url}/${name}.git`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
