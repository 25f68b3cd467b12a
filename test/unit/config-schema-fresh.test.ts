// The JSON Schema and the configuration docs are generated from the zod schema; these tests fail
// when someone changes an option without running `npm run schema`, so they can never drift.
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { renderConfigurationDoc, renderJsonSchema, renderJsonSchemaText } from "../../src/config/docs.js";
import { configSchema } from "../../src/config/schema.js";
import { allOptionPaths, describeText, schemaAt } from "../../src/config/schemaWalk.js";
import { z } from "zod";
import { parse } from "yaml";

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), "utf8");

describe("generated files", () => {
  it("autofix.schema.json matches the schema (run `npm run schema` after changing an option)", () => {
    expect(read("autofix.schema.json")).toBe(renderJsonSchemaText());
  });

  it("docs/configuration.md matches the schema (run `npm run schema` after changing an option)", () => {
    expect(read("docs/configuration.md")).toBe(renderConfigurationDoc());
  });

  it("every option has a description, so the docs and editors can explain it", () => {
    const undescribed = allOptionPaths(configSchema).filter((path) => !describeText(schemaAt(configSchema, path)));
    expect(undescribed.map((p) => p.join("."))).toEqual([]);
  });

  it("every option appears in the docs", () => {
    const doc = renderConfigurationDoc();
    const missing = allOptionPaths(configSchema).filter((path) => !doc.includes(`| \`${path.at(-1)}\` |`) && !doc.includes(`## \`${path.join(".")}\``));
    expect(missing).toEqual([]);
  });

  it("the JSON Schema is a draft-07 schema editors accept, refusing unknown keys and allowing `_extends`", () => {
    const schema = renderJsonSchema() as any;
    expect(schema.$schema).toBe("http://json-schema.org/draft-07/schema#");
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties._extends.type).toBe("string");
    expect(schema.properties.gates.properties.semantic.properties.minConfidence).toMatchObject({ minimum: 0, maximum: 1, default: 0.7 });
  });

  it("an independent JSON Schema reader accepts what autofix accepts and refuses what it refuses", () => {
    // zod's JSON Schema importer stands in for an editor: it sees only autofix.schema.json, not our zod schema.
    const editor = z.fromJSONSchema(JSON.parse(read("autofix.schema.json")));
    expect(editor.safeParse(parse(read("test/fixtures/configs/full.yml"))).success).toBe(true);
    expect(editor.safeParse({ _extends: "acme/.github", label: "fix" }).success).toBe(true);
    expect(editor.safeParse({}).success).toBe(true);
    for (const wrong of [
      { lables: ["bug"] },
      { gates: { semantic: { minConfidence: 3 } } },
      { limits: { attempts: 2.5 } },
      { pr: { onGateFailure: "close" } },
    ]) {
      expect(editor.safeParse(wrong).success).toBe(false);
    }
  });
});
