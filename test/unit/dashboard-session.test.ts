// The dashboard session expires on the server: the cookie carries when it was issued, signed, and the
// server refuses it once it is older than 12 hours, whatever the browser does with Max-Age.
import type { IncomingMessage } from "node:http";
import { describe, expect, it } from "vitest";
import { checkAccess, sessionCookieName, sessionValue } from "../../src/observability/auth.js";

const settings = { AUTOFIX_DASHBOARD_TOKEN: "dashboard-token-0123456789abcdef", AUTOFIX_DASHBOARD_USER: undefined, AUTOFIX_DASHBOARD_PASSWORD: undefined };
const withCookie = (value: string) => ({ headers: { cookie: `${sessionCookieName}=${value}` }, socket: {} }) as unknown as IncomingMessage;
const hour = 3_600_000;

describe("dashboard session", () => {
  it("accepts a session issued an hour ago and refuses one issued 13 hours ago", () => {
    expect(checkAccess(withCookie(sessionValue(settings, Date.now() - hour)), settings)).toBe("granted");
    expect(checkAccess(withCookie(sessionValue(settings, Date.now() - 13 * hour)), settings)).toBe("denied");
  });

  it("refuses a session whose issue time was rewritten to look fresh", () => {
    const old = sessionValue(settings, Date.now() - 13 * hour);
    const fresh = sessionValue(settings, Date.now());
    const forged = `${fresh.split(".")[0]}.${old.split(".")[1]}`;
    expect(checkAccess(withCookie(forged), settings)).toBe("denied");
  });

  it("refuses every session once the token changes", () => {
    const value = sessionValue(settings);
    expect(checkAccess(withCookie(value), { ...settings, AUTOFIX_DASHBOARD_TOKEN: "another-token-0123456789abcdef" })).toBe("denied");
  });
});
