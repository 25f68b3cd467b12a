// The deterministic gate's always-on checks: engine guards, conflict markers, large binaries,
// protected paths, lockfile churn, and the tamper checks on tests and their configuration.
import picomatch from "picomatch";
import type { AutofixConfig } from "../config/index.js";
import type { Delta, FileChange } from "../engine/index.js";
import { changeLines } from "./patchLines.js";
import { checkRuleFamilies, judgedChanges } from "./rules/index.js";
import { checkTestTampering, type Violation } from "./tamper.js";
import { checkTestConfig } from "./testConfig.js";

export type { Violation } from "./tamper.js";

/** Lockfile → the manifests whose change explains it. */
const lockfileManifests: Record<string, string[]> = {
  "package-lock.json": ["package.json"],
  "npm-shrinkwrap.json": ["package.json"],
  "yarn.lock": ["package.json"],
  "pnpm-lock.yaml": ["package.json", "pnpm-workspace.yaml"],
  "bun.lockb": ["package.json"],
  "Cargo.lock": ["Cargo.toml"],
  "go.sum": ["go.mod"],
  "poetry.lock": ["pyproject.toml"],
  "uv.lock": ["pyproject.toml"],
  "Pipfile.lock": ["Pipfile"],
  "Gemfile.lock": ["Gemfile", ".gemspec"],
  "composer.lock": ["composer.json"],
};

function dirOf(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash < 0 ? "" : path.slice(0, slash + 1);
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

function conflictMarkers(change: FileChange): boolean {
  // `=======` alone is a Markdown/RST heading underline; only the angle-bracket markers prove a conflict.
  return changeLines(change).added.some((line) => /^(<{7}|>{7})(\s|$)/.test(line));
}

function lockfileChurn(delta: Delta): Violation[] {
  const violations: Violation[] = [];
  for (const change of delta.files) {
    const manifests = lockfileManifests[baseName(change.path)];
    if (!manifests) continue;
    const dir = dirOf(change.path);
    // A workspace root lockfile moves when any member's manifest moves.
    const explained = delta.files.some(
      (other) => other.path.startsWith(dir) && manifests.some((m) => baseName(other.path) === m || (m.startsWith(".") && other.path.endsWith(m))),
    );
    if (!explained) {
      violations.push({
        code: "LOCKFILE_CHURN",
        message: `${change.path} changed but no ${manifests.join(" or ")} changed with it: dependency churn unrelated to a declared change.`,
        paths: [change.path],
      });
    }
  }
  return violations;
}

export function runBuiltinChecks(delta: Delta, config: AutofixConfig, guardViolations: Violation[]): Violation[] {
  const violations: Violation[] = guardViolations.map((g) => ({ ...g, code: g.code }));
  const settings = config.gates.deterministic;

  const conflicted = delta.files.filter((c) => !c.binary && c.kind !== "delete" && conflictMarkers(c)).map((c) => c.path);
  if (conflicted.length > 0) {
    violations.push({ code: "CONFLICT_MARKERS", message: `Merge conflict markers were added in ${conflicted.join(", ")}.`, paths: conflicted });
  }

  const bigBinaries = delta.files.filter((c) => c.binary && c.kind !== "delete" && c.size > settings.maxBinaryBytes);
  for (const change of bigBinaries) {
    violations.push({
      code: "BINARY_TOO_LARGE",
      message: `${change.path} is a binary file of ${change.size} bytes, over the ${settings.maxBinaryBytes}-byte limit (gates.deterministic.maxBinaryBytes).`,
      paths: [change.path],
    });
  }

  const isProtected = picomatch(settings.protectedPaths, { dot: true });
  const protectedEdits = delta.files.filter((c) => isProtected(c.path)).map((c) => c.path);
  if (protectedEdits.length > 0) {
    violations.push({
      code: "PROTECTED_PATH",
      message: `Protected paths were edited: ${protectedEdits.join(", ")} (gates.deterministic.protectedPaths: CI that runs with privileges is the maintainers' to change; ask them to make this part of the fix).`,
      paths: protectedEdits,
    });
  }

  const changes = judgedChanges(delta);
  violations.push(...lockfileChurn(delta), ...checkTestTampering(changes), ...checkRuleFamilies(changes), ...checkTestConfig(delta));
  return violations;
}
