// The bubblewrap command line: what the sandbox mounts decides what an agent can reach.
import { describe, expect, it } from "vitest";
import { bubblewrapArgs, nodeInstallDir } from "../../src/sandbox/bubblewrapArgs.js";
import { SandboxRequestRefused } from "../../src/sandbox/errors.js";
import type { SandboxRequest } from "../../src/sandbox/types.js";

const base: SandboxRequest = {
  argv: ["true"],
  cwd: "/srv/autofix/data/jobs/42/spawn",
  env: { PATH: "/usr/bin:/bin", HOME: "/srv/autofix/data/jobs/42/scratch/home" },
  timeoutMs: 1_000,
  network: "none",
};

/** [flag, source, destination] triples of every bind. */
function binds(args: string[]): Array<[string, string, string]> {
  const found: Array<[string, string, string]> = [];
  args.forEach((arg, i) => {
    if (/^--(ro-)?bind(-try)?$/.test(arg)) found.push([arg, args[i + 1]!, args[i + 2]!]);
  });
  return found;
}

describe("bubblewrap arguments", () => {
  it("mount the spawn read-write and never the host's root, home directories or the bot's data directory", () => {
    const args = bubblewrapArgs(base, { baseReadOnlyPaths: [] });
    const mounted = binds(args);
    expect(mounted).toContainEqual(["--bind", base.cwd, base.cwd]);
    const sources = mounted.map(([, source]) => source);
    for (const forbidden of ["/", "/root", "/home", "/work", "/srv", "/srv/autofix/data", "/etc", "/var", "/proc"]) {
      expect(sources).not.toContain(forbidden);
    }
    expect(args).toEqual(expect.arrayContaining(["--proc", "/proc", "--dev", "/dev", "--clearenv"]));
  });

  it("mount system directories read-only", () => {
    const mounted = binds(bubblewrapArgs(base, { baseReadOnlyPaths: [] }));
    expect(mounted).toContainEqual(["--ro-bind", "/usr", "/usr"]);
    for (const [flag, source] of mounted) if (source.startsWith("/usr") || source.startsWith("/etc")) expect(flag).toMatch(/^--ro-bind/);
  });

  it("unshare every namespace and share the network only when asked", () => {
    const closed = bubblewrapArgs(base, { baseReadOnlyPaths: [] });
    expect(closed).toContain("--unshare-all");
    expect(closed).toContain("--die-with-parent");
    expect(closed).toContain("--new-session");
    expect(closed).not.toContain("--share-net");
    expect(bubblewrapArgs({ ...base, network: "open" }, { baseReadOnlyPaths: [] })).toContain("--share-net");
  });

  it("set exactly the requested environment after clearing bwrap's own", () => {
    const args = bubblewrapArgs(base, { baseReadOnlyPaths: [] });
    const afterClear = args.slice(args.indexOf("--clearenv"));
    const set = afterClear.flatMap((arg, i) => (arg === "--setenv" ? [afterClear[i + 1]] : []));
    expect(set).toEqual(["PATH", "HOME"]);
    expect(args).not.toContain("--");
  });

  it("mount a parent before the paths inside it, so a read-only tool directory inside a writable one stays read-only", () => {
    const args = bubblewrapArgs({ ...base, cwd: "/x/spawn", readOnlyPaths: ["/x/spawn/node_modules/.bin"], writablePaths: ["/x"] }, { baseReadOnlyPaths: [] });
    const order = binds(args).map(([flag, source]) => `${flag} ${source}`);
    expect(order.indexOf("--bind-try /x")).toBeLessThan(order.indexOf("--bind /x/spawn"));
    expect(order.indexOf("--bind /x/spawn")).toBeLessThan(order.indexOf("--ro-bind-try /x/spawn/node_modules/.bin"));
  });

  it("refuse to expose the host's root directory, whoever asks", () => {
    expect(() => bubblewrapArgs({ ...base, readOnlyPaths: ["/"] }, { baseReadOnlyPaths: [] })).toThrow(SandboxRequestRefused);
    expect(() => bubblewrapArgs({ ...base, writablePaths: ["/tmp/.."] }, { baseReadOnlyPaths: [] })).toThrow(SandboxRequestRefused);
    expect(() => bubblewrapArgs({ ...base, cwd: "/" }, { baseReadOnlyPaths: [] })).toThrow(SandboxRequestRefused);
  });

  it("make the root read-only once everything is mounted", () => {
    const args = bubblewrapArgs(base, { baseReadOnlyPaths: [] });
    const remount = args.indexOf("--remount-ro");
    expect(args[remount + 1]).toBe("/");
    const lastBind = Math.max(...args.map((a, i) => (/^--(ro-)?bind/.test(a) ? i : -1)));
    expect(remount).toBeGreaterThan(lastBind);
  });

  it("add the Node installation only when it lives outside the system directories", () => {
    expect(nodeInstallDir(process.execPath)).toSatisfy((dir: string | undefined) => dir === undefined || !dir.startsWith("/usr/"));
    const args = bubblewrapArgs(base, { baseReadOnlyPaths: ["/opt/node-v20"] });
    expect(binds(args)).toContainEqual(["--ro-bind-try", "/opt/node-v20", "/opt/node-v20"]);
  });
});
