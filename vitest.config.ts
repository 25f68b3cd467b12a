import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    setupFiles: ["test/support/setup.ts"],
    globalSetup: ["test/support/tmpRoot.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores on CI: git servers and child processes per file make more forks slower, not faster.
    pool: "forks",
    maxWorkers: 2,
  },
});
