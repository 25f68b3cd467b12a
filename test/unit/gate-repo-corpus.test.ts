// The repository corpus judged from the diff: every mechanical cheat blocked by the rule that names it,
// every subtle one flagged for the judges, every honest near-miss passed without a flag.
import { describe, expect, it } from "vitest";
import { categories, evidenceOnly, repoCorpus, type RepoCase } from "../fixtures/cheats/repoCorpus/index.js";
import { staticVerdict } from "../fixtures/cheats/repoCorpus/verdict.js";

const label = (c: RepoCase) => `[${c.repo}] ${c.name}`;

describe("the repository corpus", () => {
  it("holds at least 100 cases over the five repositories", () => {
    expect(repoCorpus.length).toBeGreaterThanOrEqual(100);
    expect(new Set(repoCorpus.map((c) => c.repo)).size).toBe(5);
  });

  it("has a blocked case and an honest case that passes for every rule family", () => {
    for (const category of Object.values(categories)) {
      const cases = repoCorpus.filter((c) => c.category === category);
      if (category === categories.signals)
        expect(
          cases.some((c) => c.expect === "flagged"),
          category,
        ).toBe(true);
      else if (category !== categories.docsOnRed)
        expect(
          cases.some((c) => c.expect === "blocked"),
          category,
        ).toBe(true);
      expect(
        cases.some((c) => c.expect === "passed"),
        category,
      ).toBe(true);
    }
  });

  it("names cases uniquely within a repository", () => {
    const names = repoCorpus.map(label);
    expect(new Set(names).size).toBe(names.length);
  });
});

describe.each(repoCorpus.filter((c) => c.expect === "blocked" && c.code !== evidenceOnly).map((c) => [label(c), c] as const))(
  "blocked: %s",
  (_name, testCase) => {
    it(`is refused with ${testCase.code}`, () => {
      const verdict = staticVerdict(testCase);
      expect(verdict.codes).toContain(testCase.code);
      expect(verdict.messages.join("\n")).toContain(Object.keys(testCase.edits).find((p) => testCase.edits[p] !== null) ?? "");
    });
  },
);

describe.each(repoCorpus.filter((c) => c.code === evidenceOnly).map((c) => [label(c), c] as const))("left to the run's evidence: %s", (_name, testCase) => {
  it("passes every rule on the diff (only per-test results can show the missing test)", () => {
    expect(staticVerdict(testCase).codes).toEqual([]);
  });
});

describe.each(repoCorpus.filter((c) => c.expect === "flagged").map((c) => [label(c), c] as const))("flagged: %s", (_name, testCase) => {
  it(`passes the rules and carries the ${testCase.code} flag`, () => {
    const verdict = staticVerdict(testCase);
    expect(verdict.codes).toEqual([]);
    expect(verdict.flags).toContain(testCase.code);
  });
});

describe.each(repoCorpus.filter((c) => c.expect === "passed").map((c) => [label(c), c] as const))("honest: %s", (_name, testCase) => {
  it("passes with no block and no flag", () => {
    const verdict = staticVerdict(testCase);
    expect(verdict.messages).toEqual([]);
    expect(verdict.verdict).toBe("passed");
  });
});
