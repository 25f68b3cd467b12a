// The parts the gate's rules stand on: code split from strings and comments per language, renames paired
// by similarity, configuration formats flattened, per-test identity across runs, reporter injection.
import { describe, expect, it } from "vitest";
import { judgedChanges, similarity } from "../../src/gates/rules/changeView.js";
import { splitCode } from "../../src/gates/rules/codeText.js";
import { flattenConfig } from "../../src/gates/rules/configFlatten.js";
import { compareTestResults } from "../../src/gates/testresults/index.js";
import { reporterArgsFor } from "../../src/gates/testresults/inject.js";
import { buildDelta } from "../fixtures/cheats/buildDelta.js";

describe("splitting code from strings and comments", () => {
  it("blanks JavaScript strings and keeps comments apart, offsets unchanged", () => {
    const text = 'it("it.skip(", () => {}); // it.skip(\n/* eslint-disable */ x;';
    const { code, comments } = splitCode(text, "js");
    expect(code).toHaveLength(text.length);
    expect(code).not.toContain("it.skip");
    expect(code).toContain('it("');
    expect(comments).toContain("// it.skip(");
    expect(comments).toContain("/* eslint-disable */");
    expect(comments).not.toContain("x;");
  });

  it("reads Python triple-quoted strings, Go raw strings and Rust raw strings as strings", () => {
    expect(splitCode('"""pytest.skip()"""\npytest.skip()  # noqa', "python").code.trimEnd()).toBe('"""             """\npytest.skip()');
    expect(splitCode("x := `t.Skip()` // nolint", "go").code.trim()).toBe("x := `        `");
    expect(splitCode('let s = r#"#[ignore]"#; #[ignore]', "rust").code).toContain("#[ignore]");
    expect(splitCode('let s = r#"#[ignore]"#;', "rust").code).not.toContain("ignore");
  });
});

describe("pairing renames by content similarity", () => {
  const file = Array.from({ length: 10 }, (_, i) => `line ${i}`).join("\n");

  it("judges a moved file with a small edit by its diff", () => {
    const delta = buildDelta({ "test/a.test.js": file }, { "test/a.test.js": null, "test/unit/a.test.js": file.replace("line 3", "line three") });
    const [change, ...rest] = judgedChanges(delta);
    expect(rest).toEqual([]);
    expect(change).toMatchObject({ path: "test/unit/a.test.js", oldPath: "test/a.test.js", kind: "modify", added: ["line three"], removed: ["line 3"] });
  });

  it("leaves a delete and an add unpaired below 50 % similarity", () => {
    const other = Array.from({ length: 10 }, (_, i) => `other ${i}`).join("\n");
    expect(similarity(file, other)).toBe(0);
    const kinds = judgedChanges(buildDelta({ "a.js": file }, { "a.js": null, "b.js": other }))
      .map((c) => c.kind)
      .sort();
    expect(kinds).toEqual(["add", "delete"]);
  });

  it("restores the whole old text of a modified file from its patch", () => {
    const [change] = judgedChanges(buildDelta({ "x.py": `${file}\n` }, { "x.py": `${file.replace("line 9", "line nine")}\n` }));
    expect(change?.before).toBe(`${file}\n`);
  });
});

describe("flattening configuration formats", () => {
  it("reads tsconfig with comments and trailing commas", () => {
    const flat = flattenConfig("tsconfig.json", '{\n  // note\n  "compilerOptions": { "strict": true, },\n  "exclude": ["dist"],\n}');
    expect(flat.get("compilerOptions.strict")).toEqual(["true"]);
    expect(flat.get("exclude")).toEqual(["dist"]);
  });

  it("reads YAML lists and lists of mappings", () => {
    const flat = flattenConfig(
      ".golangci.yml",
      "linters:\n  enable:\n    - errcheck\n    - govet\nissues:\n  exclude-rules:\n    - path: _test\\.go\n      linters:\n        - lll\n",
    );
    expect(flat.get("linters.enable")).toEqual(["errcheck", "govet"]);
    expect(flat.get("issues.exclude-rules[].path")).toEqual(["_test\\.go"]);
    expect(flat.get("issues.exclude-rules[].linters")).toEqual(["lll"]);
  });

  it("reads TOML inline tables, multi-line arrays and arrays of tables", () => {
    const flat = flattenConfig(
      "Cargo.toml",
      '[lints.clippy]\nall = { level = "deny", priority = -1 }\n\n[tool]\nselect = [\n  "E",\n  "F",\n]\n\n[[test]]\nname = "it"\n',
    );
    expect(flat.get("lints.clippy.all.level")).toEqual(["deny"]);
    expect(flat.get("tool.select")).toEqual(["E", "F"]);
    expect(flat.get("test[0].name")).toEqual(["it"]);
    expect(flat.get("test[]")).toEqual(["0"]);
  });

  it("reads INI continuation lines as list items", () => {
    const flat = flattenConfig("setup.cfg", "[flake8]\nper-file-ignores =\n    __init__.py: F401\n");
    expect(flat.get("flake8.per-file-ignores")).toEqual(["__init__.py:", "F401"]);
  });
});

describe("per-test identity across runs", () => {
  it("counts a test red on the base and skipped or absent afterwards as missing, not fixed", () => {
    expect(compareTestResults({ "f > a": "fail", "f > b": "fail" }, { "f > a": "skip" })).toEqual({ regressed: [], missing: ["f > a", "f > b"], fixed: [] });
  });

  it("follows a test whose suite path changed, by file and leaf name", () => {
    const result = compareTestResults(
      { "math > adds": "pass", "math > subtracts": "fail" },
      { "math > arithmetic > adds": "pass", "math > arithmetic > subtracts": "pass" },
    );
    expect(result).toEqual({ regressed: [], missing: [], fixed: ["math > subtracts"] });
  });

  it("follows a test that became subtests or a parametrized family, taking the worst child", () => {
    expect(compareTestResults({ "pkg > TestSub": "fail" }, { "pkg > TestSub > 3-1": "pass", "pkg > TestSub > 0-0": "pass" }).fixed).toEqual(["pkg > TestSub"]);
    expect(compareTestResults({ "m > test_sub": "pass" }, { "m > test_sub[1-1]": "fail", "m > test_sub[2-1]": "pass" }).regressed).toEqual(["m > test_sub"]);
  });

  it("does not match a renamed test by leaf name when the leaf is ambiguous", () => {
    const result = compareTestResults({ "a > x > it works": "pass", "b > it works": "pass" }, { "c > it works": "pass", "d > it works": "pass" });
    expect(result.missing).toEqual(["a > x > it works", "b > it works"]);
  });
});

describe("reporters injected into configured commands", () => {
  it("adds per-test reporting to plain invocations of known runners", () => {
    expect(reporterArgsFor("python3 -m pytest -q tests")).toBe("--junitxml={report}");
    expect(reporterArgsFor("go test ./...")).toBe("-json");
    expect(reporterArgsFor("npx vitest run")).toContain("--reporter=junit");
  });

  it("leaves commands alone that already report, chain commands, or are unknown", () => {
    expect(reporterArgsFor("go test -json ./...")).toBeUndefined();
    expect(reporterArgsFor("pytest --junitxml=out.xml")).toBeUndefined();
    expect(reporterArgsFor("pytest && echo done")).toBeUndefined();
    expect(reporterArgsFor("make test")).toBeUndefined();
  });
});
