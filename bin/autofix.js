#!/usr/bin/env node
// `npx autofix` from a checkout: runs the TypeScript sources through tsx, no build step needed.
import { register } from "tsx/esm/api";

register();
await import("../src/cli/main.ts");
