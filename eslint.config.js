// Lint: the mistakes types cannot catch. Type-aware rules for promises first (a floating promise in a
// job step is a lost error or a step that runs after its job ended), then the recommended sets.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", ".tools/", "coverage/", "bench/.work/", "test/fixtures/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/await-thenable": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" }],
      // `any` appears only where Octokit's and zod's own types are looser than ours (the forge and config
      // edges), and every value that crosses them is validated with zod: a rule here would add casts, not safety.
      "@typescript-eslint/no-explicit-any": "off",
    },
  },
  { files: ["bin/**/*.js"], languageOptions: { globals: { URL: "readonly", console: "readonly", process: "readonly" } } },
  { files: ["**/*.js", "**/*.cjs", "**/*.mjs"], ...tseslint.configs.disableTypeChecked },
);
