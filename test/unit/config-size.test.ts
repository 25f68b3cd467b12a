// A config file has a size limit (64 KiB, like GitHub's own config loaders); an invalid file is explained once
// per version, for the trigger label it names.
import { afterEach, describe, expect, it } from "vitest";
import nock from "nock";
import { Octokit } from "@octokit/rest";
import { loadConfigViaApi, loadVersionedConfig, maxConfigBytes } from "../../src/app/configLoad.js";
import type { OctokitLike } from "../../src/forge/octokitLike.js";

const api = "https://api.github.com";
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const contents = (owner: string, repo: string, path = ".github/autofix.yml") => `/repos/${owner}/${repo}/contents/${encodeURIComponent(path)}`;
const rest = () => new Octokit({ auth: "ghs_test", log: quiet }) as unknown as OctokitLike;
const widgets = { owner: "acme", repo: "widgets" };

afterEach(() => nock.cleanAll());

describe("config file size limit", () => {
  it("a file over 64 KiB is a config error naming its size, and is not parsed", async () => {
    // Broken YAML on purpose: had it been parsed, the problem would be about YAML.
    const big = `label: [autofix\n# ${"x".repeat(maxConfigBytes)}\n`;
    const scope = nock(api).get(contents("acme", "widgets")).reply(200, big);
    const result = await loadConfigViaApi(rest(), widgets);
    expect(result).toEqual({
      ok: false,
      problems: [
        {
          path: "",
          message: `.github/autofix.yml is 64.0 KiB (${Buffer.byteLength(big)} bytes), more than the 64 KiB a config file may be, so it was not read. Shorten it (comments and unused options can go).`,
        },
      ],
    });
    scope.done();
  });

  it("a file of exactly 64 KiB is read", async () => {
    const head = "label: exact\n# ";
    const exact = `${head}${"x".repeat(maxConfigBytes - head.length - 1)}\n`;
    expect(Buffer.byteLength(exact)).toBe(maxConfigBytes);
    const scope = nock(api).get(contents("acme", "widgets")).reply(200, exact);
    expect(await loadConfigViaApi(rest(), widgets)).toMatchObject({ ok: true, config: { label: "exact" } });
    scope.done();
  });

  it("an oversized base named by `_extends` is a problem of that file, sent as raw bytes or text alike", async () => {
    const scope = nock(api)
      .get(contents("acme", "widgets"))
      .reply(200, "_extends: shared\n")
      .get(contents("acme", "shared"))
      .reply(200, Buffer.alloc(maxConfigBytes + 1, 0x20), { "content-type": "application/vnd.github.raw" });
    const result = await loadConfigViaApi(rest(), widgets);
    expect(!result.ok && result.problems).toEqual([
      expect.objectContaining({
        source: "acme/shared:.github/autofix.yml",
        message: expect.stringContaining(`(${maxConfigBytes + 1} bytes), more than the 64 KiB`),
      }),
    ]);
    scope.done();
  });
});

describe("versioned config for the label handler", () => {
  it("an invalid file still names its trigger label, and its version changes with its contents only", async () => {
    const v1 = "label: fix-me\nlimits:\n  attempts: many\n";
    const v2 = "label: fix-me\nlimits:\n  attempts: lots\n";
    const scope = nock(api)
      .get(contents("acme", "widgets"))
      .reply(200, v1)
      .get(contents("acme", "widgets"))
      .reply(200, v1)
      .get(contents("acme", "widgets"))
      .reply(200, v2)
      .get(contents("acme", "widgets"))
      .reply(200, "label: [broken\n");
    const first = await loadVersionedConfig(rest(), widgets);
    const again = await loadVersionedConfig(rest(), widgets);
    const changed = await loadVersionedConfig(rest(), widgets);
    const broken = await loadVersionedConfig(rest(), widgets);
    expect(first).toMatchObject({ ok: false, triggerLabel: "fix-me" });
    expect(again.version).toBe(first.version);
    expect(changed.version).not.toBe(first.version);
    expect(broken).toMatchObject({ ok: false });
    expect(broken.triggerLabel).toBeUndefined();
    scope.done();
  });
});
