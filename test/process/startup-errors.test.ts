// `npm start` refusing to start: each kind of wrong setting ends the process at once with a message naming
// the setting, what is wrong with it and what to do, and a documented exit code (2: a setting is at
// fault, 3: something the server needs did not answer). Never "unexpected", never a hang.
import { writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { freeLoopbackPort } from "../support/browser.js";
import { testPrivateKey } from "../support/githubApi.js";
import { repoRoot } from "../support/cliRunner.js";
import { autofixBin, runProduct } from "../support/productProcess.js";
import { tempDir } from "../support/repoBuilder.js";

const dir = tempDir("autofix-startup-");
const keyPath = path.join(dir, "app.pem");
writeFileSync(keyPath, testPrivateKey());
const good = { APP_ID: "1", PRIVATE_KEY_PATH: keyPath, WEBHOOK_SECRET: "startup-secret", HOST: "127.0.0.1", AUTOFIX_DATA_DIR: path.join(dir, "data") };

async function npmStart(env: Record<string, string | undefined>) {
  const port = await freeLoopbackPort();
  const r = await runProduct("npm", ["start"], { PORT: String(port), ...env }, { timeoutMs: 30_000 });
  return { ...r, said: r.stderr.split("\n").find((l) => l.startsWith("autofix could not start")) ?? r.output };
}

describe("npm start with a wrong setting stops at once and says which and what to do", () => {
  it("a PORT that is not a port number: exit 2, names PORT and its value", async () => {
    const r = await npmStart({ ...good, PORT: "30OO" });
    expect(r.code).toBe(2);
    expect(r.said).toContain('PORT (it is "30OO") must be a TCP port number from 1 to 65535');
    expect(r.said).toContain("Fix the named variables (see .env.example) and start again.");
  });

  it("a PORT already taken: exit 2, says the port is in use and to change PORT", async () => {
    const taken: Server = createServer();
    const port = await new Promise<number>((resolve) => taken.listen(0, "127.0.0.1", () => resolve((taken.address() as { port: number }).port)));
    try {
      const r = await npmStart({ ...good, PORT: String(port) });
      expect(r.code).toBe(2);
      expect(r.said).toContain(`[PORT_IN_USE] autofix cannot listen on 127.0.0.1:${port}: the port is already in use.`);
      expect(r.said).toContain("set PORT (and HOST) to a free address");
    } finally {
      taken.close();
    }
  });

  it("no WEBHOOK_SECRET: exit 2, says forged webhooks would be accepted and where the secret is", async () => {
    const r = await npmStart({ ...good, WEBHOOK_SECRET: undefined });
    expect(r.code).toBe(2);
    expect(r.said).toContain("[WEBHOOK_SECRET_MISSING] The webhook secret (WEBHOOK_SECRET) is not set.");
    expect(r.said).toContain("Set WEBHOOK_SECRET to the secret configured on the GitHub App");
  });

  it("a private key file that cannot be read, or is not a key: exit 2, names PRIVATE_KEY_PATH", async () => {
    const missing = await npmStart({ ...good, PRIVATE_KEY_PATH: path.join(dir, "nowhere.pem") });
    expect(missing.code).toBe(2);
    expect(missing.said).toContain(`[PRIVATE_KEY_UNREADABLE] The app's private key file ${path.join(dir, "nowhere.pem")} (PRIVATE_KEY_PATH) cannot be read.`);
    expect(missing.said).toContain("Point PRIVATE_KEY_PATH at the .pem file");
    const notAKey = path.join(dir, "not-a-key.pem");
    writeFileSync(notAKey, "this is the App's client secret, not its private key\n");
    const garbled = await npmStart({ ...good, PRIVATE_KEY_PATH: notAKey });
    expect(garbled.code).toBe(2);
    expect(garbled.said).toContain(`[PRIVATE_KEY_INVALID] The app's private key in PRIVATE_KEY_PATH (${notAKey}) is not a PEM private key.`);
  });

  it("a REDIS_URL that is not a Redis URL (exit 2), or where no Redis answers (exit 3, password hidden)", async () => {
    const malformed = await npmStart({ ...good, REDIS_URL: "localhost:6379" });
    expect(malformed.code).toBe(2);
    expect(malformed.said).toContain('REDIS_URL (it is "localhost:6379") must be a redis:// or rediss:// URL such as redis://127.0.0.1:6379');
    const nobody = await freeLoopbackPort();
    const unreachable = await npmStart({ ...good, REDIS_URL: `redis://worker:hunter2-redis@127.0.0.1:${nobody}` });
    expect(unreachable.code).toBe(3);
    expect(unreachable.said).toContain("[JOB_STORE_UNAVAILABLE]");
    expect(unreachable.said).toContain(`redis://***@127.0.0.1:${nobody} did not answer`);
    expect(unreachable.said).toContain("Check that REDIS_URL points at a running Redis server");
    expect(unreachable.output).not.toContain("hunter2-redis");
  });

  it("autofix worker with a private key that cannot be read says so the same way (exit 2)", async () => {
    const r = await runProduct(process.execPath, [autofixBin, "worker"], { ...good, PRIVATE_KEY_PATH: path.join(dir, "nowhere.pem") }, { timeoutMs: 30_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`[PRIVATE_KEY_UNREADABLE] The app's private key file ${path.join(dir, "nowhere.pem")} (PRIVATE_KEY_PATH) cannot be read.`);
  });

  it("reads the App's settings from .env in the working directory (where the manifest flow writes them); the environment wins", async () => {
    const cwd = tempDir("autofix-startup-envfile-");
    writeFileSync(path.join(cwd, ".env"), `APP_ID=1\nPRIVATE_KEY_PATH=${keyPath}\nPORT=1\n`);
    // node dist/server.js is what `npm start` runs; here from a service's own working directory.
    const r = await runProduct(
      process.execPath,
      [path.join(repoRoot, "dist", "server.js")],
      { ...good, APP_ID: undefined, PRIVATE_KEY_PATH: undefined, WEBHOOK_SECRET: undefined, PORT: "3000" },
      { cwd, envFile: true, timeoutMs: 30_000 },
    );
    // APP_ID came from .env (else Probot's manifest flow would have started), PORT=3000 from the environment won.
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("[WEBHOOK_SECRET_MISSING]");
    expect(r.stderr).not.toContain("PORT");
  });
});
