// Lint, format and type-check configuration, per ecosystem: a level lowered or a rule deleted, a strict
// flag turned off, an exclude widened, a limit raised. Tightening, or adding a rule, passes.
import type { Violation } from "./types.js";
import type { JudgedChange } from "./changeView.js";
import { checkConfigTable, lintLevels, pyrightModes, type ConfigRule } from "./configRules.js";

const eslint = /(^|\/)(\.eslintrc(\.(json|js|cjs|ya?ml))?|eslint\.config\.[cm]?[jt]s)$/;
const eslintJs = /(^|\/)(\.eslintrc\.c?js|eslint\.config\.[cm]?[jt]s)$/;
const packageJson = /(^|\/)package\.json$/;
const prettier = /(^|\/)(\.prettierrc(\.(json5?|[cm]?js|ya?ml|toml))?|prettier\.config\.[cm]?js)$/;
const tsconfig = /(^|\/)[jt]sconfig(\.[\w.-]+)?\.json$/;
const golangci = /(^|\/)\.golangci\.(ya?ml|toml|json)$/;
const clippy = /(^|\/)\.?clippy\.toml$/;
const cargo = /(^|\/)Cargo\.toml$/;
const pyproject = /(^|\/)pyproject\.toml$/;
const ruff = /(^|\/)\.?ruff\.toml$/;
const iniFiles = /(^|\/)(setup\.cfg|tox\.ini|\.flake8|mypy\.ini|\.mypy\.ini|\.pylintrc|pylintrc)$/;
const pythonLint = new RegExp(`${pyproject.source}|${ruff.source}|${iniFiles.source}`);
const pyright = /(^|\/)pyrightconfig\.json$/;
const rubocop = /(^|\/)\.rubocop(_todo)?\.ya?ml$/;

// In Python tool sections: pyproject's `tool.<name>.`, setup.cfg/tox.ini's `<name>` or `<name>:` sections.
const pyTool = (names: string) => `^(?:tool\\.)?(?:${names})(?:[.:][\\w.*: \\[\\]-]+)?\\.`;
const pylintSections = "^(?:MASTER|MAIN|MESSAGES CONTROL|messages control|FORMAT|DESIGN|BASIC)\\.";

export const lintRules: ConfigRule[] = [
  // ESLint: structured formats keep the path; JavaScript configs are read by key name.
  { label: "ESLint rule level lowered or rule deleted", files: eslint, key: /(^|\.)rules\.[^.]+$/, direction: "levelDown" },
  { label: "ESLint rule level lowered or rule deleted", files: eslintJs, key: /^[@\w][\w/-]*$/, direction: "levelDown" },
  { label: "ESLint rule level lowered or rule deleted", files: packageJson, key: /^eslintConfig\.(?:overrides\[\]\.)?rules\.[^.]+$/, direction: "levelDown" },
  { label: "ESLint shared config dropped", files: eslint, key: /(^|\.)extends$/, direction: "itemRemoved" },
  { label: "ESLint ignores widened", files: eslint, key: /(^|\.)(ignorePatterns|ignores)$/, direction: "itemAdded" },
  { label: "ESLint inline-config guard turned off", files: eslint, key: /(^|\.)(noInlineConfig|reportUnusedDisableDirectives)$/, direction: "trueToFalse" },
  // Prettier: formatting is the maintainers' choice; an option they set may not be changed or removed.
  { label: "Prettier options changed", files: prettier, key: /./, direction: "changedOrRemoved" },
  { label: "Prettier options changed", files: packageJson, key: /^prettier(\.|$)/, direction: "changedOrRemoved" },
  // TypeScript / jsconfig strictness.
  {
    label: "TypeScript strictness flag turned off",
    files: tsconfig,
    key: /(^|\.)compilerOptions\.(strict\w*|noImplicit\w+|noUnused\w+|noUnchecked\w+|noFallthroughCasesInSwitch|noPropertyAccessFromIndexSignature|exactOptionalPropertyTypes|alwaysStrict|useUnknownInCatchVariables|checkJs|forceConsistentCasingInFileNames|isolatedModules|verbatimModuleSyntax|allowUnreachableCode|allowUnusedLabels)$/,
    direction: "trueToFalse",
  },
  {
    label: "TypeScript check loosened",
    files: tsconfig,
    key: /(^|\.)compilerOptions\.(skipLibCheck|skipDefaultLibCheck|noCheck|suppressImplicitAnyIndexErrors|suppressExcessPropertyErrors|allowUnreachableCode|allowUnusedLabels)$/,
    direction: "falseToTrue",
  },
  { label: "TypeScript project narrowed", files: tsconfig, key: /^(include|files)$/, direction: "itemRemoved" },
  { label: "TypeScript base config dropped", files: tsconfig, key: /^extends$/, direction: "itemRemoved" },
  { label: "TypeScript project narrowed", files: tsconfig, key: /^exclude$/, direction: "itemAdded" },
  // golangci-lint (v1 and v2 layouts).
  { label: "golangci-lint linter no longer enabled", files: golangci, key: /(^|\.)linters\.enable$/, direction: "itemRemoved" },
  { label: "golangci-lint linter disabled", files: golangci, key: /(^|\.)linters\.disable$/, direction: "itemAdded" },
  { label: "golangci-lint linters all disabled", files: golangci, key: /(^|\.)linters\.disable-all$/, direction: "falseToTrue" },
  {
    label: "golangci-lint default set lowered",
    files: golangci,
    key: /(^|\.)linters\.default$/,
    direction: "levelDown",
    levels: [["none"], ["fast"], ["standard"], ["all"]],
  },
  { label: "golangci-lint exclusions widened", files: golangci, key: /(exclude|exclusions|skip-dirs|skip-files)/, direction: "itemAdded" },
  {
    label: "golangci-lint limit raised",
    files: golangci,
    key: /(line-length|min-complexity|max-\w+|lines|statements|min-len|min-occurrences)$/,
    direction: "numberUp",
  },
  // Rust: clippy.toml thresholds and allowances, Cargo's [lints] tables.
  { label: "clippy threshold raised", files: clippy, key: /(threshold|^too-many-[\w-]+|^max-[\w-]+)$/, direction: "numberUp" },
  { label: "clippy allowance turned on", files: clippy, key: /^allow-[\w-]+$/, direction: "falseToTrue" },
  {
    label: "Cargo [lints] level lowered or lint deleted",
    files: cargo,
    key: /^(workspace\.)?lints\.\w+\.[\w:]+(\.level)?$/,
    direction: "levelDown",
    levels: [["allow"], ["warn"], ["deny"], ["forbid"]],
  },
  // Python: ruff, flake8, pylint, mypy, pyright, in pyproject.toml, setup.cfg, tox.ini or their own files.
  {
    label: "ruff/flake8 rule selection narrowed",
    files: pythonLint,
    key: new RegExp(`(${pyTool("ruff|flake8")}(lint\\.)?|^(lint\\.)?)(extend-)?select$`),
    direction: "itemRemoved",
  },
  {
    label: "ruff/flake8 ignores widened",
    files: pythonLint,
    key: new RegExp(`(${pyTool("ruff|flake8")}(lint\\.)?|^(lint\\.)?)(extend-|per-file-)?(ignore|ignores|exclude|unfixable)(\\..+)?$`),
    direction: "itemAdded",
  },
  {
    label: "ruff/flake8 limit raised",
    files: pythonLint,
    key: new RegExp(`(${pyTool("ruff|flake8|pycodestyle")}|^)(lint\\.)?(mccabe\\.)?(line-length|max-line-length|max-complexity|max-doc-length)$`),
    direction: "numberUp",
  },
  { label: "pylint checks disabled", files: pythonLint, key: new RegExp(`(${pyTool("pylint")}|${pylintSections})disable$`), direction: "itemAdded" },
  { label: "pylint checks no longer enabled", files: pythonLint, key: new RegExp(`(${pyTool("pylint")}|${pylintSections})enable$`), direction: "itemRemoved" },
  { label: "pylint fail-under lowered", files: pythonLint, key: new RegExp(`(${pyTool("pylint")}|${pylintSections})fail-under$`), direction: "numberDown" },
  { label: "pylint limit raised", files: pythonLint, key: new RegExp(`(${pyTool("pylint")}|${pylintSections})max-[\\w-]+$`), direction: "numberUp" },
  {
    label: "mypy strictness turned off",
    files: pythonLint,
    key: new RegExp(
      `(${pyTool("mypy")}|^mypy[\\w.*-]*\\.|overrides\\[\\]\\.)(strict|strict_optional|strict_equality|disallow_\\w+|check_untyped_defs|warn_\\w+|no_implicit_optional|no_implicit_reexport|extra_checks)$`,
    ),
    direction: "trueToFalse",
  },
  {
    label: "mypy errors ignored",
    files: pythonLint,
    key: new RegExp(
      `(${pyTool("mypy")}|^mypy[\\w.*-]*\\.|overrides\\[\\]\\.)(ignore_errors|ignore_missing_imports|allow_untyped_\\w+|allow_incomplete_defs|allow_any_\\w+)$`,
    ),
    direction: "falseToTrue",
  },
  { label: "mypy exclusions widened", files: pythonLint, key: new RegExp(`(${pyTool("mypy")}|^mypy\\.)(exclude|disable_error_code)$`), direction: "itemAdded" },
  {
    label: "pyright mode lowered",
    files: new RegExp(`${pyproject.source}|${pyright.source}`),
    key: /(^|tool\.pyright\.)typeCheckingMode$/,
    direction: "levelDown",
    levels: pyrightModes,
  },
  {
    label: "pyright report level lowered",
    files: new RegExp(`${pyproject.source}|${pyright.source}`),
    key: /(^|tool\.pyright\.)(report\w+|strict\w*)$/,
    direction: "levelDown",
    levels: [["none", "false"], ["information"], ["warning"], ["error", "true"]],
  },
  {
    label: "pyright exclusions widened",
    files: new RegExp(`${pyproject.source}|${pyright.source}`),
    key: /(^|tool\.pyright\.)(exclude|ignore)$/,
    direction: "itemAdded",
  },
  {
    label: "pyright strict paths narrowed",
    files: new RegExp(`${pyproject.source}|${pyright.source}`),
    key: /(^|tool\.pyright\.)strict$/,
    direction: "itemRemoved",
  },
  // RuboCop.
  { label: "RuboCop cop disabled", files: rubocop, key: /\.Enabled$/, direction: "trueToFalse" },
  { label: "RuboCop exclusions widened", files: rubocop, key: /(^|\.)Exclude$/, direction: "itemAdded" },
  { label: "RuboCop limit raised", files: rubocop, key: /\.Max$/, direction: "numberUp" },
  {
    label: "RuboCop severity lowered",
    files: rubocop,
    key: /\.Severity$/,
    direction: "levelDown",
    levels: [["info"], ["refactor"], ["convention"], ["warning"], ["error"], ["fatal"]],
  },
  { label: "RuboCop cops off by default", files: rubocop, key: /(^|\.)DisabledByDefault$/, direction: "falseToTrue" },
];

const ignoreFiles = /(^|\/)\.(eslintignore|prettierignore|stylelintignore|rubocop_todo_ignore)$/;

/** Lines added to an ignore file widen what the tool skips. */
function ignoreFilesWidened(changes: JudgedChange[]): Violation[] {
  const violations: Violation[] = [];
  for (const change of changes) {
    if (!ignoreFiles.test(change.path) || change.kind === "delete") continue;
    const entries = (text: string) =>
      new Set(
        text
          .split("\n")
          .map((l) => l.trim())
          .filter((l) => l && !l.startsWith("#")),
      );
    const before = entries(change.before);
    const added = [...entries(change.after)].filter((entry) => !before.has(entry));
    if (added.length > 0) {
      violations.push({
        code: "LINT_CONFIG_WEAKENED",
        message: `${change.path}: now ignores ${added.join(", ")}. Fix what the tool reports instead of hiding the files from it.`,
        paths: [change.path],
      });
    }
  }
  return violations;
}

export function checkLintConfig(changes: JudgedChange[]): Violation[] {
  return [
    ...checkConfigTable(changes, lintRules, "LINT_CONFIG_WEAKENED", "Lint and type-check settings are the maintainers' to loosen; fix the code instead."),
    ...ignoreFilesWidened(changes),
  ];
}

export { lintLevels };
