// The agent's environment: an allow-list both the repository and the operator must agree on, and the bot's
// own secrets refused whatever both say.
import { describe, expect, it } from "vitest";
import { buildAgentEnv, isForbiddenAgentVariable } from "../../src/agents/env.js";
import { secretSettingNames } from "../../src/settings.js";

const source = {
  OPENAI_API_KEY: "sk-agent-key",
  ANTHROPIC_API_KEY: "sk-ant-agent",
  PRIVATE_KEY: "-----BEGIN RSA PRIVATE KEY-----",
  PRIVATE_KEY_PATH: "/keys/app.pem",
  WEBHOOK_SECRET: "whsec",
  GITHUB_TOKEN: "ghp_x",
  GH_TOKEN: "ghs_x",
  AUTOFIX_LLM_API_KEY: "sk-bot",
  AUTOFIX_DATA_DIR: "/data",
  HOME: "/root",
  PATH: "/root/.cargo/bin:/usr/bin",
};

describe("agent environment", () => {
  it("holds only the fixed base when nothing is passed", () => {
    const { env, refused } = buildAgentEnv({ passEnv: [], operatorAllowed: [], source, home: "/s/home", tmp: "/s/tmp" });
    expect(Object.keys(env).sort()).toEqual(["CI", "HOME", "LANG", "LC_ALL", "PATH", "TERM", "TMPDIR"]);
    expect(env).toMatchObject({ HOME: "/s/home", TMPDIR: "/s/tmp", LANG: "C.UTF-8", LC_ALL: "C.UTF-8", TERM: "dumb", CI: "1" });
    expect(refused).toEqual([]);
  });

  it("uses a fixed PATH with the system directories and Node's, not the bot's own PATH", () => {
    const { env } = buildAgentEnv({ passEnv: [], operatorAllowed: [], source, home: "/h", tmp: "/t" });
    expect(env.PATH!.split(":")).toEqual(expect.arrayContaining(["/usr/local/bin", "/usr/bin", "/bin"]));
    expect(env.PATH).not.toContain(".cargo");
  });

  it("passes a variable only when the repository lists it and the operator allows it", () => {
    const { env, refused } = buildAgentEnv({
      passEnv: ["OPENAI_API_KEY", "ANTHROPIC_API_KEY"],
      operatorAllowed: ["OPENAI_API_KEY"],
      source,
      home: "/h",
      tmp: "/t",
    });
    expect(env.OPENAI_API_KEY).toBe("sk-agent-key");
    expect(env.ANTHROPIC_API_KEY).toBeUndefined();
    expect(refused).toEqual(["ANTHROPIC_API_KEY"]);
  });

  it("refuses the bot's secrets and its own settings even when both lists name them", () => {
    const names = ["PRIVATE_KEY", "PRIVATE_KEY_PATH", "WEBHOOK_SECRET", "GITHUB_TOKEN", "GH_TOKEN", "AUTOFIX_LLM_API_KEY", "AUTOFIX_DATA_DIR"];
    const { env, refused } = buildAgentEnv({ passEnv: names, operatorAllowed: names, source, home: "/h", tmp: "/t" });
    for (const name of names) expect(env[name]).toBeUndefined();
    expect(refused.sort()).toEqual([...names].sort());
    for (const value of Object.values(env)) expect(Object.values(source).filter((v) => v !== "/usr/bin")).not.toContain(value);
  });

  it("refuses every name in the settings' secret list", () => {
    for (const name of secretSettingNames) expect(isForbiddenAgentVariable(name)).toBe(true);
  });

  it("does not let passEnv replace the fixed HOME or PATH", () => {
    const { env, refused } = buildAgentEnv({ passEnv: ["HOME", "PATH"], operatorAllowed: ["HOME", "PATH"], source, home: "/h", tmp: "/t" });
    expect(env.HOME).toBe("/h");
    expect(env.PATH).not.toContain(".cargo");
    expect(refused).toEqual(["HOME", "PATH"]);
  });

  it("puts operator tool directories first on PATH", () => {
    const { env } = buildAgentEnv({ passEnv: [], operatorAllowed: [], source, home: "/h", tmp: "/t", extraPathDirs: ["/opt/agents/bin"] });
    expect(env.PATH!.split(":")[0]).toBe("/opt/agents/bin");
  });
});
