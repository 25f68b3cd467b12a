// Per-test parsers on real output of each runner (see test/fixtures/testresults/README.md for provenance).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  compareTestResults,
  parseCargoTest,
  parseGoTestJson,
  parseJunitXml,
  parseNodeSpec,
  parseTap,
  parseTestOutput,
} from "../../src/gates/testresults/index.js";

const fixture = (name: string) => readFileSync(new URL(`../fixtures/testresults/${name}`, import.meta.url), "utf8");

describe("JUnit XML", () => {
  it("reads pytest --junitxml: module and class in the id, failures, errors and skips", () => {
    expect(parseJunitXml(fixture("pytest-junit.xml"))?.tests).toEqual({
      "test_calc > test_add": "pass",
      "test_calc > test_sub": "fail",
      "test_calc.TestGreeting > test_hello": "pass",
      "test_calc.TestGreeting > test_later": "skip",
      "test_calc.TestGreeting > test_error": "fail",
    });
  });

  it("reads vitest's junit reporter with the file as class and the suite path as name", () => {
    expect(parseJunitXml(fixture("vitest-junit.xml"))?.tests).toEqual({
      "calc.test.ts > calc > adds": "pass",
      "calc.test.ts > calc > subtracts": "fail",
      "calc.test.ts > calc > later": "skip",
      "calc.test.ts > top level": "pass",
    });
  });

  it("reads jest-junit, where an <error> counts as a failure", () => {
    expect(parseJunitXml(fixture("jest-junit.xml"))?.tests).toEqual({
      "calc adds": "pass",
      "calc subtracts": "fail",
      "calc multiplies": "fail",
    });
  });

  it("reads mocha's junit reporter and ignores XML quoted inside CDATA failure bodies", () => {
    const xml = fixture("mocha-junit.xml").replace("expected 1 to equal 2", '<testcase name="ghost"/>');
    expect(parseJunitXml(xml)?.tests).toEqual({ "calc adds": "pass", "calc subtracts": "fail", "calc divides": "skip" });
  });

  it("reads node's junit reporter, naming nested tests by their describe block", () => {
    expect(parseJunitXml(fixture("node-test-junit.xml"))?.tests).toEqual({
      "adds numbers": "pass",
      "subtracts numbers": "fail",
      "greeting > says hello": "pass",
      "greeting > says goodbye": "fail",
      "greeting > is skipped": "skip",
      "greeting > is todo": "skip",
    });
  });

  it("gives nothing for a report without test cases, so the caller falls back to the exit code", () => {
    expect(parseJunitXml('<?xml version="1.0"?><testsuites tests="0"></testsuites>')).toBeUndefined();
  });
});

describe("node --test", () => {
  it("reads the TAP reporter, naming nested tests by their suite and counting todo as skipped", () => {
    expect(parseTap(fixture("node-test-tap.txt"))?.tests).toEqual({
      "adds numbers": "pass",
      "subtracts numbers": "fail",
      "greeting > says hello": "pass",
      "greeting > says goodbye": "fail",
      "greeting > is skipped": "skip",
      "greeting > is todo": "skip",
    });
  });

  it("reads the spec reporter the same way and does not count the failure recap twice", () => {
    expect(parseNodeSpec(fixture("node-test-spec.txt"))?.tests).toEqual(parseTap(fixture("node-test-tap.txt"))?.tests);
  });
});

describe("go test -json and cargo test", () => {
  it("reads go test events with subtests under their parent", () => {
    expect(parseGoTestJson(fixture("go-test.jsonl"))?.tests).toEqual({
      "example.com/calc > TestAdd": "pass",
      "example.com/calc > TestSub": "fail",
      "example.com/calc > TestTable > zero": "pass",
      "example.com/calc > TestLater": "skip",
    });
  });

  it("reads cargo test output binary by binary, doc-tests included", () => {
    expect(parseCargoTest(fixture("cargo-test.txt"))?.tests).toEqual({
      "src/lib.rs > tests::slow": "skip",
      "src/lib.rs > tests::adds": "pass",
      "src/lib.rs > tests::subtracts": "fail",
      "tests/integ.rs > integ_adds": "pass",
      "doc-tests calc > src/lib.rs - add (line 1)": "pass",
    });
  });
});

describe("recognizing a format from output alone", () => {
  it.each([
    ["node-test-tap.txt", "tap"],
    ["node-test-spec.txt", "node-spec"],
    ["go-test.jsonl", "go-json"],
    ["cargo-test.txt", "cargo"],
  ])("recognizes %s as %s", (name, format) => {
    expect(parseTestOutput(fixture(name))?.format).toBe(format);
  });

  it("recognizes nothing in output that names no tests", () => {
    expect(parseTestOutput("> jest\n\nSegmentation fault (core dumped)\n")).toBeUndefined();
  });
});

describe("comparing baseline and after", () => {
  it("names tests the agent broke, removed or skipped, tests it fixed, and new tests that fail", () => {
    const comparison = compareTestResults(
      { a: "pass", b: "pass", c: "fail", d: "pass", e: "pass" },
      { a: "pass", b: "fail", c: "pass", e: "skip", f: "fail", g: "pass" },
    );
    expect(comparison).toEqual({ regressed: ["b", "f"], missing: ["d", "e"], fixed: ["c"] });
  });
});
