// Network policy `allow`: a sandboxed command reaches a listed host through the bot's egress proxy, is
// refused for any other (and cannot go around the proxy), and the refusal is in the gate's report.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCommandAgent, findPreset } from "../../src/agents/index.js";
import { runDeterministicGate } from "../../src/gates/deterministic.js";
import { hostAllowed } from "../../src/sandbox/egressProxy.js";
import { createSandbox, type Sandbox } from "../../src/sandbox/index.js";
import { gateConfig } from "../fixtures/cheats/gateConfig.js";
import { gateScenario } from "../support/gateScenario.js";

let root: string;
let sandbox: Sandbox;
let allowed: http.Server;
let other: http.Server;
const portOf = (server: http.Server) => (server.address() as AddressInfo).port;
const listen = (body: string) =>
  new Promise<http.Server>((resolve) => {
    const server = http.createServer((_req, res) => res.end(body));
    server.listen(0, "127.0.0.1", () => resolve(server));
  });

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), "sandbox-network-allow-"));
  sandbox = await createSandbox({ mode: "required", hostPath: "/usr/bin:/bin" });
  allowed = await listen("allowed-body");
  other = await listen("other-body");
});
afterAll(async () => {
  allowed.close();
  other.close();
  await rm(root, { recursive: true, force: true });
});

const curl = (port: number, direct = false) => `curl -sS --max-time 5 ${direct ? "--noproxy '*' " : ""}http://127.0.0.1:${port}/ ; echo " exit=$?"`;

describe("network allow", () => {
  it("lets a command reach the allowed host, refuses another, and lists the refusal", async () => {
    const result = await sandbox.run({
      argv: ["/bin/sh", "-c", [curl(portOf(allowed)), curl(portOf(other)), curl(portOf(allowed), true)].join("\n")],
      cwd: root,
      env: { PATH: "/usr/bin:/bin" },
      timeoutMs: 30_000,
      network: "none",
      allowHosts: [`127.0.0.1:${portOf(allowed)}`],
    });
    const lines = result.outputTail.trim().split("\n");
    expect(lines[0]).toBe("allowed-body exit=0");
    expect(result.outputTail).not.toContain("other-body");
    // Going around the proxy reaches nothing: the run has no network of its own.
    expect(lines.at(-1)).toMatch(/exit=7$/);
    expect(result.refusedConnections).toEqual([`127.0.0.1:${portOf(other)}`]);
  });

  it("names the refused host in the deterministic gate's report", async () => {
    const run = await gateScenario(
      root,
      sandbox,
      "",
      { "check.sh": `curl -sS --max-time 5 http://127.0.0.1:${portOf(other)}/ || true\n` },
      { "README.md": "change\n" },
    );
    const config = gateConfig({ deterministic: { commands: ["sh check.sh"], network: "allow", allowHosts: [`127.0.0.1:${portOf(allowed)}`] } });
    const result = await runDeterministicGate(run.input(config));
    expect(result.notes).toContain(`network allow: the egress proxy refused 127.0.0.1:${portOf(other)} (not in gates.deterministic.allowHosts)`);
    expect(result.commands?.[0]?.outputTail).toContain(`the egress proxy refused a connection to 127.0.0.1:${portOf(other)}`);
  });

  it("matches hosts, ports and subdomains as listed", () => {
    expect(hostAllowed(["registry.npmjs.org"], "registry.npmjs.org", 443)).toBe(true);
    expect(hostAllowed(["pypi.org:443"], "pypi.org", 80)).toBe(false);
    expect(hostAllowed(["*.example.com"], "api.example.com", 443)).toBe(true);
    expect(hostAllowed(["*.example.com"], "example.com.evil.net", 443)).toBe(false);
  });
});

describe("network allow for agents", () => {
  it("records the hosts a command agent was refused, with the run", async () => {
    const spawnDir = path.join(root, "agent-spawn");
    await mkdir(spawnDir, { recursive: true });
    const agent = createCommandAgent({
      preset: findPreset("command")!,
      sandbox,
      env: { passEnv: [], operatorAllowed: [] },
      command: `${curl(portOf(allowed))}; ${curl(portOf(other))}`,
      network: "allow",
      allowHosts: [`127.0.0.1:${portOf(allowed)}`],
    });
    const run = await agent.run({ spawnDir, scratchDir: path.join(root, "agent-scratch"), prompt: "p", timeoutMs: 30_000 });
    expect(run.outputTail).toContain("allowed-body exit=0");
    expect(run.refusedConnections).toEqual([`127.0.0.1:${portOf(other)}`]);
    expect(run.outputTail).toContain(`the egress proxy refused a connection to 127.0.0.1:${portOf(other)} (not in agent.allowHosts)`);
  });
});
