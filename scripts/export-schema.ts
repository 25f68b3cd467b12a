// Writes autofix.schema.json and docs/configuration.md from the zod schema (`npm run schema`).
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { renderConfigurationDoc, renderJsonSchemaText } from "../src/config/docs.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
mkdirSync(path.join(root, "docs"), { recursive: true });
writeFileSync(path.join(root, "autofix.schema.json"), renderJsonSchemaText());
writeFileSync(path.join(root, "docs/configuration.md"), renderConfigurationDoc());
console.log("wrote autofix.schema.json and docs/configuration.md");
