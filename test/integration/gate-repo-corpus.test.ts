// The repository corpus through the whole deterministic gate with real toolchains (node, python3 -m pytest,
// go, cargo): cheats refused, honest fixes and flagged changes passed red → green, and the cheats no rule
// can see in a diff refused by the per-test results of the run.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSandbox } from "../../src/sandbox/index.js";
import { evidenceOnly, repoCorpus, wantsFix, type RepoCase } from "../fixtures/cheats/repoCorpus/index.js";
import { CorpusRunner } from "../fixtures/cheats/repoCorpus/realRun.js";

let root: string;
let runner: CorpusRunner;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), "gate-repo-corpus-"));
  runner = new CorpusRunner(root, await createSandbox({ mode: "auto" }));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const label = (c: RepoCase) => `[${c.repo}] ${c.name}`;
const byRepo = (repo: RepoCase["repo"]) => repoCorpus.filter((c) => c.repo === repo).map((c) => [label(c), c] as const);

// Cases run one after another: each repository reuses one spawn, one baseline and one build cache.
describe.each(["node-cjs", "node-esm", "python", "go", "rust"] as const)("%s", (repo) => {
  it.each(byRepo(repo))("%s", async (_name, testCase) => {
    const result = await runner.run(testCase);
    const detail = [result.summary, ...result.reasons, ...(result.notes ?? [])].join("\n");
    if (testCase.expect === "blocked") {
      expect(result.status, detail).toBe("fail");
      if (testCase.code === evidenceOnly) {
        // Only the run can see it: a test that was on the base is absent (or skipped) after the change.
        expect(
          result.commands?.some((c) => (c.tests?.missing.length ?? 0) > 0),
          detail,
        ).toBe(true);
      } else expect(result.summary).toContain(testCase.code);
      return;
    }
    expect(result.status, detail).toBe("pass");
    expect(result.commands?.length, detail).toBeGreaterThan(0);
    if (wantsFix(testCase)) {
      // Red on the base, green after: the failing test is listed as fixed.
      expect(result.commands?.flatMap((c) => c.tests?.fixed ?? []).length, detail).toBeGreaterThan(0);
    } else if (testCase.expect === "passed") {
      expect(result.notes?.join("\n"), detail).toContain("already red on the base");
    }
    const flags = (result.testFlags ?? []).map((f) => f.code);
    if (testCase.expect === "flagged") expect(flags, detail).toContain(testCase.code);
    else expect(flags, detail).toEqual([]);
  });
});
