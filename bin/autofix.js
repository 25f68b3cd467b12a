#!/usr/bin/env node
// `npx autofix`: runs the compiled CLI in dist/ with plain node (`npm install` builds it through `prepare`).
import { existsSync } from "node:fs";

const main = new URL("../dist/cli/main.js", import.meta.url);
if (!existsSync(main)) {
  console.error(
    "autofix is not built: dist/cli/main.js is missing.\nWhy: the TypeScript sources are compiled on `npm install` (prepare), which did not run or failed.\nNext: run `npm run build` in the autofix checkout, then try again.",
  );
  process.exit(2);
}
await import(main.href);
