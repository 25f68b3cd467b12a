// Lint, type-check and discovery settings in the formats the repository corpus does not exercise: each a
// weakening that blocks next to a tightening that passes.
import { describe, expect, it } from "vitest";
import { runBuiltinChecks } from "../../src/gates/builtinChecks.js";
import { buildDelta } from "../fixtures/cheats/buildDelta.js";
import { gateConfig } from "../fixtures/cheats/gateConfig.js";

interface Pair {
  file: string;
  before: string;
  weakened: string;
  tightened: string;
  code?: string;
}

const pairs: Record<string, Pair> = {
  "ESLint in YAML": {
    file: ".eslintrc.yml",
    before: "rules:\n  eqeqeq: error\n  no-var: warn\n",
    weakened: "rules:\n  eqeqeq: warn\n  no-var: warn\n",
    tightened: "rules:\n  eqeqeq: error\n  no-var: error\n",
  },
  "ESLint in .eslintrc.js": {
    file: ".eslintrc.js",
    before: 'module.exports = {\n  rules: {\n    "no-undef": "error",\n  },\n};\n',
    weakened: 'module.exports = {\n  rules: {\n    "no-undef": 0,\n  },\n};\n',
    tightened: 'module.exports = {\n  rules: {\n    "no-undef": "error",\n    "no-shadow": "error",\n  },\n};\n',
  },
  "ESLint in package.json": {
    file: "package.json",
    before: '{\n  "eslintConfig": { "rules": { "semi": "error" } }\n}\n',
    weakened: '{\n  "eslintConfig": { "rules": { "semi": "off" } }\n}\n',
    tightened: '{\n  "eslintConfig": { "rules": { "semi": "error", "quotes": "error" } }\n}\n',
  },
  "pyright in pyrightconfig.json": {
    file: "pyrightconfig.json",
    before: '{ "typeCheckingMode": "standard", "reportMissingImports": "error" }\n',
    weakened: '{ "typeCheckingMode": "standard", "reportMissingImports": "warning" }\n',
    tightened: '{ "typeCheckingMode": "strict", "reportMissingImports": "error" }\n',
  },
  "mypy in mypy.ini": {
    file: "mypy.ini",
    before: "[mypy]\ndisallow_untyped_defs = True\n",
    weakened: "[mypy]\ndisallow_untyped_defs = True\n\n[mypy-calc.*]\nignore_errors = True\n",
    tightened: "[mypy]\ndisallow_untyped_defs = True\nwarn_unreachable = True\n",
  },
  "flake8 in tox.ini": {
    file: "tox.ini",
    before: "[flake8]\nselect = E,F,W\n",
    weakened: "[flake8]\nselect = E,F\n",
    tightened: "[flake8]\nselect = E,F,W,C90\n",
  },
  "pylint in .pylintrc": {
    file: ".pylintrc",
    before: "[MESSAGES CONTROL]\ndisable = C0114\n",
    weakened: "[MESSAGES CONTROL]\ndisable = C0114,W0611\n",
    tightened: "[MESSAGES CONTROL]\ndisable =\n",
  },
  "ruff in ruff.toml": {
    file: "ruff.toml",
    before: '[lint]\nselect = ["E", "F"]\n',
    weakened: '[lint]\nselect = ["E", "F"]\nextend-ignore = ["F401"]\n',
    tightened: '[lint]\nselect = ["E", "F", "UP"]\n',
  },
  "golangci v2 default set": {
    file: ".golangci.yaml",
    before: 'version: "2"\nlinters:\n  default: standard\n',
    weakened: 'version: "2"\nlinters:\n  default: none\n',
    tightened: 'version: "2"\nlinters:\n  default: all\n',
  },
  "Cargo workspace lints": {
    file: "Cargo.toml",
    before: '[workspace.lints.rust]\nunsafe_code = "deny"\n',
    weakened: '[workspace.lints.rust]\nunsafe_code = "warn"\n',
    tightened: '[workspace.lints.rust]\nunsafe_code = "forbid"\n',
  },
  "tsconfig extends": {
    file: "tsconfig.json",
    before: '{ "extends": "@tsconfig/strictest/tsconfig.json" }\n',
    weakened: '{ "extends": "@tsconfig/recommended/tsconfig.json" }\n',
    tightened: '{ "extends": "@tsconfig/strictest/tsconfig.json", "compilerOptions": { "noEmit": true } }\n',
  },
  RuboCop: {
    file: ".rubocop.yml",
    before: "Metrics/MethodLength:\n  Enabled: true\n  Max: 10\n",
    weakened: "Metrics/MethodLength:\n  Enabled: true\n  Max: 40\n",
    tightened: "Metrics/MethodLength:\n  Enabled: true\n  Max: 8\n",
  },
  "vitest include in vitest.config.ts": {
    file: "vitest.config.ts",
    before: 'export default { test: { include: ["test/**/*.test.ts"] } };\n',
    weakened: 'export default { test: { include: ["test/fast/**/*.test.ts"] } };\n',
    tightened: 'export default { test: { include: ["test/**/*.test.ts", "src/**/*.test.ts"] } };\n',
    code: "TEST_DISCOVERY_NARROWED",
  },
  "pytest in setup.cfg": {
    file: "setup.cfg",
    before: "[tool:pytest]\ntestpaths = tests\n",
    weakened: "[tool:pytest]\ntestpaths = tests\naddopts = -m 'not slow'\n",
    tightened: "[tool:pytest]\ntestpaths = tests\naddopts = --strict-markers\n",
    code: "TEST_DISCOVERY_NARROWED",
  },
};

const codes = (before: Record<string, string>, after: Record<string, string>) =>
  runBuiltinChecks(buildDelta(before, after), gateConfig(), []).map((v) => v.code);

describe.each(Object.entries(pairs))("%s", (_name, pair) => {
  it("blocks the weakening", () => {
    expect(codes({ [pair.file]: pair.before }, { [pair.file]: pair.weakened })).toContain(pair.code ?? "LINT_CONFIG_WEAKENED");
  });

  it("passes the tightening", () => {
    expect(codes({ [pair.file]: pair.before }, { [pair.file]: pair.tightened })).toEqual([]);
  });
});

describe("inline suppressions outside the five fixture languages", () => {
  it("blocks # rubocop:disable all and passes a named cop", () => {
    expect(codes({ "lib/calc.rb": "def sub(a, b)\n  a + b\nend\n" }, { "lib/calc.rb": "# rubocop:disable all\ndef sub(a, b)\n  a - b\nend\n" })).toContain(
      "SUPPRESSION_ADDED",
    );
    expect(
      codes(
        { "lib/calc.rb": "def sub(a, b)\n  a + b\nend\n" },
        { "lib/calc.rb": "def sub(a, b) # rubocop:disable Naming/MethodParameterName\n  a - b\nend\n" },
      ),
    ).toEqual([]);
  });
});
