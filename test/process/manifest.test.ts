// First run as a new user meets it: `npm start` without APP_ID serves Probot's manifest flow. In a real browser
// the "Register GitHub App" form must carry app.yml as valid JSON (an apostrophe once ended the HTML attribute).
import { readFileSync } from "node:fs";
import path from "node:path";
import { parse } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freeLoopbackPort, launchChromium, type LaunchedBrowser } from "../support/browser.js";
import { repoRoot } from "../support/cliRunner.js";
import { startProduct, stopProduct, type ProductProcess } from "../support/productProcess.js";

describe("npm start without APP_ID: the manifest flow", () => {
  let server: ProductProcess;
  let url: string;
  let browser: LaunchedBrowser;

  beforeAll(async () => {
    const port = await freeLoopbackPort();
    // NO_SMEE_SETUP: Probot would otherwise create a smee.io channel (network) for the webhook URL.
    server = startProduct("npm", ["start"], { PORT: String(port), HOST: "127.0.0.1", NO_SMEE_SETUP: "true", LOG_LEVEL: "info" });
    await server.waitForOutput(/Listening on http:\/\//, 60_000);
    expect(server.output()).toContain("Please follow the instructions at http://127.0.0.1:");
    url = `http://127.0.0.1:${port}`;
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await stopProduct(server);
  });

  it("the page's manifest field parses as JSON equal to app.yml (name, description, events, permissions)", async () => {
    const page = await browser.context.newPage();
    const res = await page.goto(url);
    expect(res?.status()).toBe(200);
    expect(new URL(page.url()).pathname).toBe("/probot");
    const field = await page.locator("#manifest").getAttribute("value");
    expect(field).toBeTruthy();
    const manifest = JSON.parse(field!);
    const appYml = parse(readFileSync(path.join(repoRoot, "app.yml"), "utf8")) as Record<string, unknown>;
    for (const [key, value] of Object.entries(appYml)) expect(manifest[key], key).toEqual(value);
    expect(manifest.default_events).toEqual(["issues", "issue_comment", "pull_request", "pull_request_review", "check_run", "push", "check_suite", "status"]);
    expect(manifest.default_permissions).toMatchObject({ issues: "write", pull_requests: "write", contents: "write", checks: "write", metadata: "read" });
    // What GitHub needs besides app.yml: where to send the user back after creating the app, and the webhook.
    expect(manifest.redirect_url).toBe(`${url}/probot/setup`);
    expect(manifest.hook_attributes.url).toMatch(/^http/);
    // The button the user presses posts exactly this field to GitHub.
    expect(await page.locator("form").getAttribute("action")).toMatch(/^https:\/\/github\.com\/settings\/apps\/new/);
    await page.close();
  });
});
