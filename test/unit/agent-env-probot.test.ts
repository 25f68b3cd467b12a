// Every secret Probot's manifest flow writes to .env stays out of the agent's environment, even when
// the repository and the operator both name it. The names are read from Probot itself, so an upgrade
// that writes a new one fails here.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { buildAgentEnv, isForbiddenAgentVariable } from "../../src/agents/env.js";

function namesProbotWritesToEnv(): string[] {
  const require = createRequire(import.meta.url);
  // probot's exports hide package.json; its main entry lives in lib/ beside manifest-creation.js.
  const file = path.join(path.dirname(require.resolve("probot")), "manifest-creation.js");
  const source = readFileSync(file, "utf8");
  const names = new Set<string>();
  for (const call of source.matchAll(/updateEnv\(\{([\s\S]*?)\}\);/g)) {
    for (const key of call[1]!.matchAll(/^\s*([A-Z][A-Z0-9_]+)\s*[:,]/gm)) names.add(key[1]!);
  }
  return [...names].sort();
}

describe("agent environment and Probot's .env", () => {
  it("refuses every variable Probot's manifest flow writes, GITHUB_CLIENT_SECRET among them", () => {
    const names = namesProbotWritesToEnv();
    expect(names).toEqual(expect.arrayContaining(["APP_ID", "GITHUB_CLIENT_ID", "GITHUB_CLIENT_SECRET", "PRIVATE_KEY", "WEBHOOK_SECRET"]));
    for (const name of names) expect(isForbiddenAgentVariable(name), name).toBe(true);
    const source = Object.fromEntries(names.map((n) => [n, `value-of-${n}`]));
    const { env, refused } = buildAgentEnv({ passEnv: names, operatorAllowed: names, source, home: "/tmp/h", tmp: "/tmp/t" });
    expect(refused.sort()).toEqual(names);
    for (const name of names) expect(env[name]).toBeUndefined();
  });
});
