// Walking the zod schema of .github/autofix.yml: the node at a path, the options an object allows,
// and "what is allowed here" in words. Validation messages and the docs both read from here.
import { z } from "zod";

type AnySchema = z.core.$ZodType;

function defOf(schema: AnySchema): any {
  return (schema as any)._zod.def;
}

/** Strips wrappers that do not change what a user may write (defaults, optional, pipes into transforms). */
export function unwrap(schema: AnySchema): AnySchema {
  let node = schema;
  for (let depth = 0; depth < 20; depth++) {
    const def = defOf(node);
    if (["default", "prefault", "optional", "nullable", "readonly", "catch", "nonoptional"].includes(def.type)) node = def.innerType;
    else if (def.type === "pipe") node = def.in;
    else return node;
  }
  return node;
}

/** The schema node describing the value at `path`, or undefined when the path leaves the schema. */
export function schemaAt(root: AnySchema, path: readonly PropertyKey[]): AnySchema | undefined {
  let node: AnySchema | undefined = root;
  for (const key of path) {
    if (!node) return undefined;
    const def = defOf(unwrap(node));
    if (def.type === "object") node = def.shape[key as string];
    else if (def.type === "array") node = def.element;
    else if (def.type === "union") {
      // The first branch that knows the key (e.g. the object form of a command).
      node = (def.options as AnySchema[]).map((option) => schemaAt(option, [key])).find(Boolean);
    } else return undefined;
  }
  return node;
}

/** The option names an object node allows (empty when the node is not an object). */
export function optionNames(node: AnySchema | undefined): string[] {
  if (!node) return [];
  const def = defOf(unwrap(node));
  if (def.type === "object") return Object.keys(def.shape);
  if (def.type === "union") return [...new Set((def.options as AnySchema[]).flatMap((o) => optionNames(o)))];
  return [];
}

/** Every option path in the schema (`gates.semantic.minConfidence`), for "this option belongs under …". */
export function allOptionPaths(root: AnySchema, prefix: string[] = []): string[][] {
  return optionNames(root).flatMap((name) => {
    const child = schemaAt(root, [name]);
    const nested = child && optionNames(child).length > 0 ? allOptionPaths(child, [...prefix, name]) : [];
    return [[...prefix, name], ...nested];
  });
}

export function describeText(node: AnySchema | undefined): string | undefined {
  let current: AnySchema | undefined = node;
  for (let depth = 0; current && depth < 20; depth++) {
    const text = (z.globalRegistry.get(current as z.ZodType) as { description?: string } | undefined)?.description;
    if (text) return text;
    const def = defOf(current);
    current = def.innerType ?? (def.type === "pipe" ? def.in : undefined);
  }
  return undefined;
}

function jsonSchemaOf(node: AnySchema): any {
  try {
    return z.toJSONSchema(node as z.ZodType, { io: "input", unrepresentable: "any" });
  } catch {
    return {};
  }
}

function numberRange(raw: any): string {
  // z.int() adds the safe-integer bounds; they are no limit a person needs to read about.
  const js = { ...raw };
  if (js.maximum >= Number.MAX_SAFE_INTEGER) delete js.maximum;
  if (js.minimum <= Number.MIN_SAFE_INTEGER) delete js.minimum;
  const whole = js.type === "integer";
  const noun = whole ? "a whole number" : "a number";
  const low = js.minimum !== undefined ? `${js.minimum}` : js.exclusiveMinimum !== undefined ? `more than ${js.exclusiveMinimum}` : undefined;
  const high = js.maximum !== undefined ? `${js.maximum}` : js.exclusiveMaximum !== undefined ? `less than ${js.exclusiveMaximum}` : undefined;
  if (js.exclusiveMinimum === 0 && high === undefined) return whole ? "a whole number of 1 or more" : "a number above 0";
  if (js.exclusiveMinimum === 0 && high !== undefined) return `${noun} above 0 and at most ${high}`;
  if (low !== undefined && high !== undefined) return `${noun} from ${low} to ${high}`;
  if (low !== undefined) return `${noun} of ${low} or more`;
  if (high !== undefined) return `${noun} of at most ${high}`;
  return noun;
}

function describeJson(js: any, patternHint?: string): string {
  if (js.enum) return `one of ${js.enum.map((v: unknown) => `\`${String(v)}\``).join(", ")}`;
  if (js.anyOf || js.oneOf) return (js.anyOf ?? js.oneOf).map((branch: any) => describeJson(branch)).join(", or ");
  switch (js.type) {
    case "boolean":
      return "`true` or `false`";
    case "number":
    case "integer":
      return numberRange(js);
    case "string": {
      const limits = [
        js.minLength > 1 ? `at least ${js.minLength} characters` : js.minLength === 1 ? "not empty" : undefined,
        js.maxLength ? `at most ${js.maxLength} characters` : undefined,
      ].filter(Boolean);
      if (patternHint) return `text (${patternHint})`;
      const shape = js.pattern ? `matching \`${js.pattern}\`` : undefined;
      return ["text", ...limits, shape].filter(Boolean).join(", ");
    }
    case "array":
      return js.items ? `a list, each entry ${describeJson(js.items, patternHint)}` : "a list";
    case "object": {
      const names = Object.keys(js.properties ?? {});
      return names.length ? `a mapping with the options ${names.map((n) => `\`${n}\``).join(", ")}` : "a mapping";
    }
    default:
      return "a value of the documented form";
  }
}

/** The schema's own words for a regex (`z.string().regex(re, "…")`), found by failing it on purpose. */
function patternMessage(node: AnySchema): string | undefined {
  let target = unwrap(node);
  if (defOf(target).type === "array") target = unwrap(defOf(target).element);
  if (defOf(target).type !== "string") return undefined;
  const result = (target as z.ZodType).safeParse("\u0000");
  const issue = result.success ? undefined : result.error.issues.find((i) => i.code === "invalid_format");
  return issue && !/^Invalid/.test(issue.message) ? issue.message : undefined;
}

/** "What is allowed here", in words: `a number from 0 to 1`, "one of `none`, `draft`", … */
export function describeAllowed(node: AnySchema | undefined, patternHint?: string): string {
  if (!node) return "nothing (this option does not exist)";
  return describeJson(jsonSchemaOf(node), patternHint ?? patternMessage(node));
}
