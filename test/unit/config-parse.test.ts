// Reading .github/autofix.yml: defaults when absent, and every kind of mistake reported with its
// path, its line and what is allowed there.
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { parseConfig, validateConfigObject } from "../../src/config/parse.js";
import { defaultConfig } from "../../src/config/schema.js";
import type { ConfigProblem } from "../../src/config/problems.js";

const fixture = (name: string) => readFileSync(new URL(`../fixtures/configs/${name}`, import.meta.url), "utf8");

function problemsOf(text: string): ConfigProblem[] {
  const result = parseConfig(text);
  if (result.ok) throw new Error("expected problems, the config was accepted");
  return result.problems;
}

function problemAt(problems: ConfigProblem[], path: string): ConfigProblem {
  const found = problems.find((p) => p.path === path);
  if (!found) throw new Error(`no problem at ${path}; got ${problems.map((p) => p.path).join(", ")}`);
  return found;
}

describe("defaults", () => {
  it.each([
    ["an empty file", ""],
    ["a file with only comments", "# autofix uses defaults\n"],
    ["an empty document marker", "---\n"],
  ])("%s means the defaults", (_name, text) => {
    expect(parseConfig(text)).toEqual({ ok: true, config: defaultConfig() });
  });

  it("applies defaults inside every section, not only at the top", () => {
    const config = defaultConfig();
    expect(config.agent).toMatchObject({ preset: "builtin", timeoutMinutes: 20, maxSteps: 60 });
    expect(config.gates.semantic).toMatchObject({ enabled: true, minConfidence: 0.7 });
    expect(config.gates.deterministic.protectedPaths).toContain(".github/workflows/**");
    expect(config.gates.deterministic.protectedPaths).not.toContain(".github/**");
    expect(config.limits.attempts).toBe(2);
    expect(config.pr).toMatchObject({ branchPrefix: "autofix/", onGateFailure: "none" });
  });

  it("keeps the defaults of options a partial section leaves out", () => {
    const result = parseConfig("gates:\n  semantic:\n    minConfidence: 0.9\n");
    if (!result.ok) throw new Error("rejected");
    expect(result.config.gates.semantic).toEqual({ enabled: true, minConfidence: 0.9, maxDiffChars: 60_000 });
    expect(result.config.gates.review.blockAt).toBe("major");
  });

  it("a section left empty, its options commented out, means that section's defaults", () => {
    const result = parseConfig("label: fix\ngates:\n  # semantic:\n  #   enabled: false\npr:\n  draft:\n");
    expect(result).toEqual({ ok: true, config: { ...defaultConfig(), label: "fix" } });
  });

  it("reads a complete file, commands given as text or as a mapping", () => {
    const result = parseConfig(fixture("full.yml"));
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    expect(result.config.permission).toBe("maintain");
    expect(result.config.gates.deterministic.commands).toEqual([
      { run: "npm test", timeoutMinutes: 15 },
      { name: "lint", run: "npm run lint", timeoutMinutes: 5, junit: "reports/junit.xml" },
    ]);
    expect(result.config.pr.branchPrefix).toBe("bots/autofix/");
  });
});

describe("problems name the option, its line and what is allowed", () => {
  const problems = problemsOf(fixture("invalid.yml"));

  it("an unknown key suggests the closest known one", () => {
    expect(problemAt(problems, "lables")).toEqual({ path: "lables", line: 2, message: "unknown option `lables`: did you mean `label`?" });
    expect(problemAt(problems, "gates.deterministic.commands.0.rn").message).toBe("unknown option `rn`: did you mean `run`?");
  });

  it("a known option in the wrong section says where it belongs", () => {
    expect(problemAt(problems, "minConfidence")).toMatchObject({
      line: 19,
      message: "unknown option `minConfidence` here: it belongs under `gates.semantic`.",
    });
  });

  it("a value outside an enumeration lists the allowed values", () => {
    expect(problemAt(problems, "permission")).toMatchObject({
      line: 3,
      message: 'the text "owner" is not allowed here; use one of `read`, `triage`, `write`, `maintain`, `admin`.',
    });
  });

  it("a near miss of an allowed value suggests it", () => {
    expect(problemsOf("permission: Write\nagent:\n  preset: claud-code\n").map((p) => p.message)).toEqual([
      'the text "Write" is not allowed here; use one of `read`, `triage`, `write`, `maintain`, `admin`. Did you mean `write`?',
      'the text "claud-code" is not allowed here; use one of `builtin`, `claude-code`, `codex`, `aider`, `command`. Did you mean `claude-code`?',
    ]);
  });

  it("a number out of range gives the range", () => {
    expect(problemAt(problems, "gates.semantic.minConfidence")).toMatchObject({ line: 10, message: "`3` is too large; this must be a number from 0 to 1." });
    expect(problemAt(problems, "limits.attempts")).toMatchObject({ line: 15, message: "`0` is too small; this must be a whole number from 1 to 5." });
  });

  it("a wrong type says what was found and what is expected", () => {
    expect(problemAt(problems, "agent.timeoutMinutes")).toMatchObject({
      line: 5,
      message: 'found the text "ten", but this must be a number above 0 and at most 180.',
    });
    expect(problemAt(problems, "agent.maxSteps").message).toBe("found `1.5`, but this must be a whole number above 0 and at most 500.");
    expect(problemAt(problems, "pr.labels")).toMatchObject({
      line: 18,
      message: 'found the text "autofix", but this must be a list, each entry text, not empty.',
    });
  });

  it("a quoted number or boolean says to drop the quotes", () => {
    expect(problemsOf("limits:\n  attempts: '2'\npr:\n  draft: \"true\"\n").map((p) => p.message)).toEqual([
      'found the text "2", but this must be a whole number from 1 to 5. Write it without quotes.',
      'found the text "true", but this must be `true` or `false`. Write it without quotes.',
    ]);
  });

  it("a text that breaks a pattern uses the schema's own description of the pattern", () => {
    expect(problemAt(problems, "agent.passEnv.0")).toMatchObject({
      line: 7,
      message: 'the text "my-key" does not fit: this must be text (an environment variable name in UPPER_SNAKE_CASE).',
    });
    expect(problemAt(problems, "pr.branchPrefix").message).toBe('the text "fix" does not fit: this must be text (letters, digits, `._-/`, ending with `/`).');
  });

  it("a missing required option inside a list entry says it is required", () => {
    expect(problemAt(problems, "gates.deterministic.commands.0.run")).toMatchObject({ line: 13, message: "this option is required: text, not empty." });
  });

  it("problems come in the order of the file", () => {
    const lines = problems.map((p) => p.line ?? 0);
    expect(lines).toEqual([...lines].sort((a, b) => a - b));
  });
});

describe("files that are not a config at all", () => {
  it("a YAML syntax error is a problem with its line", () => {
    const [problem] = problemsOf("label: autofix\nagent:\n  preset: [builtin\nlimits: {}\n");
    expect(problem.path).toBe("");
    expect(problem.line).toBeGreaterThanOrEqual(3);
    expect(problem.message).toMatch(/^\.github\/autofix\.yml is not valid YAML: /);
  });

  it("a duplicated key is a YAML problem, not a silent override", () => {
    const [problem] = problemsOf("label: a\nlabel: b\n");
    expect(problem).toMatchObject({ path: "", line: 2 });
    expect(problem.message).toContain("unique");
  });

  it("the source name given by the caller appears in syntax errors", () => {
    const result = parseConfig("a: [", "acme/.github:.github/autofix.yml");
    expect(!result.ok && result.problems[0].message).toMatch(/^acme\/\.github:\.github\/autofix\.yml is not valid YAML/);
  });

  it("a list or a scalar at the top is refused with what the file must hold", () => {
    expect(problemsOf("- label: autofix\n")).toEqual([
      { path: "", line: 1, message: "the file must be a mapping of options (`key: value` lines), but it holds a list." },
    ]);
    expect(problemsOf("autofix\n")[0].message).toContain('the value "autofix"');
  });
});

describe("already-parsed objects (Probot's loader)", () => {
  it("validates an object with the same messages, without lines", () => {
    const result = validateConfigObject({ pr: { onGateFailure: "close" } });
    expect(result).toEqual({
      ok: false,
      problems: [{ path: "pr.onGateFailure", message: 'the text "close" is not allowed here; use one of `none`, `draft`.' }],
    });
  });

  it("null (no file anywhere) means the defaults", () => {
    expect(validateConfigObject(null)).toEqual({ ok: true, config: defaultConfig() });
  });

  it("accepts `_extends` naming a repository and refuses one that names nothing", () => {
    expect(parseConfig("_extends: .github\nlabel: fix\n")).toMatchObject({ ok: true, config: { label: "fix" } });
    expect(parseConfig("_extends: 42\n")).toMatchObject({ ok: false, problems: [{ path: "_extends" }] });
  });
});

describe("rules that protect the operator's secrets and the agent's setup", () => {
  it("a repository cannot ask for autofix's own secrets in the agent's environment", () => {
    const problems = problemsOf("agent:\n  passEnv: [OPENAI_API_KEY, GITHUB_TOKEN, AUTOFIX_LLM_API_KEY]\n");
    expect(problems.map((p) => [p.path, p.line])).toEqual([
      ["agent.passEnv.1", 2],
      ["agent.passEnv.2", 2],
    ]);
    expect(problems[0].message).toContain("other than autofix's own secrets");
  });

  it("a model must be a name, not an endpoint or a key, and a key is not repeated back", () => {
    const problems = problemsOf("agent:\n  model: https://llm.example/v1\ngates:\n  review:\n    model: sk-live-abcdefghijklmnop\n");
    expect(problemAt(problems, "agent.model")).toMatchObject({ line: 2, message: expect.stringContaining("keys and endpoints are operator settings") });
    expect(problemAt(problems, "gates.review.model").message).toMatch(/^a value shaped like a key or token is not allowed here/);
    expect(problems.map((p) => p.message).join(" ")).not.toContain("sk-live");
  });

  it("the command preset needs the command to run", () => {
    expect(problemsOf("agent:\n  preset: command\n")).toEqual([
      { path: "agent.command", line: 2, message: "the `command` preset needs `agent.command`: the command line that runs the agent." },
    ]);
    expect(parseConfig("agent:\n  preset: command\n  command: ./fix.sh\n").ok).toBe(true);
  });
});
