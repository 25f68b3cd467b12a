// Runs every bench/*.ts module's exported run() in sequence and prints each one's table (its toMarkdown,
// or a generic table of the rows). `npm run bench`; `npm run bench -- engine queue` runs only those.
import { readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

interface BenchModule {
  run(): Promise<unknown>;
  toMarkdown?(results: never): string;
}

function genericTable(results: unknown): string {
  const rows = (Array.isArray(results) ? results : [results]) as Record<string, unknown>[];
  if (rows.length === 0) return "(no results)";
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  return [
    `| ${columns.join(" | ")} |`,
    `| ${columns.map(() => "---").join(" | ")} |`,
    ...rows.map((r) => `| ${columns.map((c) => String(r[c] ?? "")).join(" | ")} |`),
  ].join("\n");
}

const here = path.dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const names = readdirSync(here)
  .filter((f) => f.endsWith(".ts") && f !== "run.ts")
  .map((f) => f.replace(/\.ts$/, ""))
  .filter((n) => only.length === 0 || only.includes(n))
  .sort();

let failed = false;
for (const name of names) {
  const mod = (await import(pathToFileURL(path.join(here, `${name}.ts`)).href)) as Partial<BenchModule>;
  if (typeof mod.run !== "function") continue;
  console.log(`\n## ${name}\n`);
  const started = performance.now();
  try {
    const results = await mod.run();
    console.log(mod.toMarkdown ? mod.toMarkdown(results as never) : genericTable(results));
    console.log(`\n(${name}: ${Math.round((performance.now() - started) / 1000)} s)`);
  } catch (err) {
    failed = true;
    console.error(`${name} failed:`, err);
  }
}
process.exitCode = failed ? 1 : 0;
