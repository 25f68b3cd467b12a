// Compares two versions of a configuration file against a table of keys whose direction matters: a level
// that may only go up, a strict flag that may only stay on, a list that may only grow or only shrink.
import type { Violation } from "./types.js";
import type { JudgedChange } from "./changeView.js";
import { flattenConfig, type FlatConfig } from "./configFlatten.js";

export type Direction =
  "levelDown" | "trueToFalse" | "falseToTrue" | "itemRemoved" | "itemRemovedKeyKept" | "itemAdded" | "numberUp" | "numberDown" | "changed" | "changedOrRemoved";

export interface ConfigRule {
  label: string;
  files: RegExp;
  /** Tested on the flattened key path. */
  key: RegExp;
  direction: Direction;
  /** Synonym groups, weakest first (levelDown only). */
  levels?: string[][];
}

export const lintLevels = [["off", "0", "allow", "none", "false"], ["warn", "1", "warning", "information", "info"], ["error", "2", "deny", "true"], ["forbid"]];
export const pyrightModes = [["off"], ["basic"], ["standard"], ["strict"]];

function level(value: string | undefined, levels: string[][]): number | undefined {
  if (value === undefined) return undefined;
  const normalized = value.toLowerCase();
  const index = levels.findIndex((group) => group.includes(normalized));
  return index < 0 ? undefined : index;
}

function describe(values: string[] | undefined): string {
  return values === undefined ? "(removed)" : values.length === 0 ? "(empty)" : values.join(", ");
}

function judgeKey(rule: ConfigRule, key: string, before: string[] | undefined, after: string[] | undefined): string | undefined {
  switch (rule.direction) {
    case "levelDown": {
      const levels = rule.levels ?? lintLevels;
      const was = level(before?.[0], levels);
      if (was === undefined || was === 0) return undefined;
      const now = after === undefined ? -1 : level(after[0], levels);
      if (now === undefined && after !== undefined) return undefined;
      return (now ?? -1) < was ? `${key}: ${describe(before)} → ${describe(after)}` : undefined;
    }
    case "trueToFalse":
      return before?.includes("true") && !after?.includes("true") ? `${key}: true → ${describe(after)}` : undefined;
    case "falseToTrue":
      return after?.some((v) => v.toLowerCase() === "true") && !before?.some((v) => v.toLowerCase() === "true")
        ? `${key}: ${describe(before)} → true`
        : undefined;
    case "itemRemoved":
    case "itemRemovedKeyKept": {
      if (!before || before.length === 0) return undefined;
      // Some keys fall back to a broad default when deleted (jest's testMatch, pytest's testpaths).
      if (rule.direction === "itemRemovedKeyKept" && after === undefined) return undefined;
      const gone = before.filter((item) => !(after ?? []).includes(item));
      return gone.length > 0 ? `${key}: no longer lists ${gone.join(", ")}` : undefined;
    }
    case "itemAdded": {
      const fresh = (after ?? []).filter((item) => !(before ?? []).includes(item));
      return fresh.length > 0 ? `${key}: now lists ${fresh.join(", ")}` : undefined;
    }
    case "numberUp":
    case "numberDown": {
      const was = Number(before?.[0]);
      const now = Number(after?.[0]);
      if (!Number.isFinite(was) || before?.[0] === undefined) return undefined;
      if (after === undefined) return rule.direction === "numberDown" ? `${key}: ${was} → (removed)` : undefined;
      if (!Number.isFinite(now)) return undefined;
      const worse = rule.direction === "numberUp" ? now > was : now < was;
      return worse ? `${key}: ${was} → ${now}` : undefined;
    }
    case "changedOrRemoved":
      return before !== undefined && JSON.stringify(before) !== JSON.stringify(after ?? null) ? `${key}: ${describe(before)} → ${describe(after)}` : undefined;
    case "changed":
      return JSON.stringify(before ?? null) !== JSON.stringify(after ?? null) ? `${key}: ${describe(before)} → ${describe(after)}` : undefined;
  }
}

/** Every key of either version a rule speaks about, judged; one finding per rule and file. */
export function compareConfig(path: string, before: FlatConfig, after: FlatConfig, rules: ConfigRule[]): { rule: ConfigRule; findings: string[] }[] {
  const results: { rule: ConfigRule; findings: string[] }[] = [];
  const keys = new Set([...before.keys(), ...after.keys()]);
  for (const rule of rules) {
    if (!rule.files.test(path)) continue;
    const findings: string[] = [];
    for (const key of keys) {
      if (!rule.key.test(key)) continue;
      const finding = judgeKey(rule, key, before.get(key), after.get(key));
      if (finding) findings.push(finding);
    }
    if (findings.length > 0) results.push({ rule, findings });
  }
  return results;
}

export function checkConfigTable(changes: JudgedChange[], rules: ConfigRule[], code: string, why: string): Violation[] {
  const violations: Violation[] = [];
  for (const change of changes) {
    if (change.binary || !rules.some((rule) => rule.files.test(change.path) || (change.oldPath && rule.files.test(change.oldPath)))) continue;
    const before = flattenConfig(change.oldPath ?? change.path, change.before);
    const after = flattenConfig(change.path, change.after);
    for (const { rule, findings } of compareConfig(change.path, before, after, rules)) {
      violations.push({
        code,
        message: `${change.path}: ${rule.label} (${findings.slice(0, 5).join("; ")}${findings.length > 5 ? `; and ${findings.length - 5} more` : ""}). ${why}`,
        paths: [change.path],
      });
    }
  }
  return violations;
}
