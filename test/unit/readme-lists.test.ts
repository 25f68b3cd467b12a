// The README's lists stay true as the project grows: every file under docs/ is listed, and every event
// app.yml subscribes to is explained.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../support/cliRunner.js";

const readme = readFileSync(path.join(repoRoot, "README.md"), "utf8");

describe("README", () => {
  it("lists every file under docs/ in its Documentation section", () => {
    const section = readme.slice(readme.indexOf("## Documentation"));
    const docs = readdirSync(path.join(repoRoot, "docs"), { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => path.relative(repoRoot, path.join(e.parentPath, e.name)));
    expect(docs.length).toBeGreaterThan(0);
    for (const doc of docs) expect(section, `${doc} is not listed under "## Documentation"`).toContain(`\`${doc}\``);
  });

  it("explains every event app.yml subscribes to", () => {
    const events = (parse(readFileSync(path.join(repoRoot, "app.yml"), "utf8")) as { default_events: string[] }).default_events;
    for (const event of events) expect(readme, `event ${event}`).toMatch(new RegExp(`^\\| \`${event}\` \\| `, "m"));
  });
});
