// Detecting the repository's test command from its manifests, one fixture repository per kind.
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { detectCommands } from "../../src/gates/detect.js";

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/detect/${name}`, import.meta.url));

describe("test command detection", () => {
  it.each([
    ["npm", "npm test", "package.json (scripts.test; package-lock.json implies npm)"],
    ["pnpm", "pnpm test", "package.json (scripts.test; pnpm-lock.yaml implies pnpm)"],
    ["yarn", "yarn test", "package.json (scripts.test; yarn.lock implies yarn)"],
    ["pyproject", "python3 -m pytest -p no:cacheprovider", "pyproject.toml"],
    ["pytest-ini", "python3 -m pytest -p no:cacheprovider", "pytest.ini"],
    ["setup-cfg", "python3 -m pytest -p no:cacheprovider", "setup.cfg"],
    ["tox-ini", "python3 -m pytest -p no:cacheprovider", "tox.ini"],
    ["go", "go test -json ./...", "go.mod"],
    ["cargo", "cargo test --no-fail-fast", "Cargo.toml"],
    ["makefile", "make test", "Makefile (test target)"],
  ])("detects the %s repository's command and says where it came from", async (name, run, from) => {
    const commands = await detectCommands(fixture(name));
    expect(commands.map((c) => ({ run: c.run, detectedFrom: c.detectedFrom }))).toEqual([{ run, detectedFrom: from }]);
  });

  it("asks pytest for a JUnit report so its tests can be compared one by one", async () => {
    const [pytest] = await detectCommands(fixture("pytest-ini"));
    expect(pytest?.injectJunitArgs).toBe("--junitxml={report}");
  });

  it("asks vitest under npm for its built-in junit report, and leaves other runners' output alone", async () => {
    const [vitest] = await detectCommands(fixture("npm-vitest"));
    expect(vitest?.injectJunitArgs).toBe("-- --reporter=default --reporter=junit --outputFile.junit={report}");
    const [nodeTest] = await detectCommands(fixture("npm"));
    expect(nodeTest?.injectJunitArgs).toBeUndefined();
    const [pnpmVitest] = await detectCommands(fixture("pnpm"));
    expect(pnpmVitest?.injectJunitArgs).toBeUndefined();
  });

  it("ignores npm's placeholder test script", async () => {
    expect(await detectCommands(fixture("npm-default"))).toEqual([]);
  });

  it("finds nothing in a repository without a test command", async () => {
    expect(await detectCommands(fixture("none"))).toEqual([]);
  });

  it("runs every ecosystem's command and leaves a Makefile wrapper out when a manifest names one", async () => {
    const commands = await detectCommands(fixture("mixed"));
    expect(commands.map((c) => c.run)).toEqual(["python3 -m pytest -p no:cacheprovider", "go test -json ./..."]);
  });
});
