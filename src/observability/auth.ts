// Who may see the dashboard and metrics: a bearer token, basic auth, or the session cookie the login
// form sets. Every secret comparison runs in constant time; the cookie never holds the secret itself.
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Settings } from "../settings.js";

export const sessionCookieName = "autofix_session";
export const sessionMaxAgeSeconds = 12 * 60 * 60;

type AccessSettings = Pick<Settings, "AUTOFIX_DASHBOARD_TOKEN" | "AUTOFIX_DASHBOARD_USER" | "AUTOFIX_DASHBOARD_PASSWORD">;

export type Access = "granted" | "denied" | "off";

export function tokenConfigured(settings: AccessSettings): boolean {
  return Boolean(settings.AUTOFIX_DASHBOARD_TOKEN);
}

export function basicConfigured(settings: AccessSettings): boolean {
  return Boolean(settings.AUTOFIX_DASHBOARD_USER && settings.AUTOFIX_DASHBOARD_PASSWORD);
}

export function accessConfigured(settings: AccessSettings): boolean {
  return tokenConfigured(settings) || basicConfigured(settings);
}

/** Hashing both sides first gives equal lengths, so timingSafeEqual never leaks the secret's length. */
export function safeEqual(given: string, expected: string): boolean {
  const a = createHash("sha256").update(given, "utf8").digest();
  const b = createHash("sha256").update(expected, "utf8").digest();
  return timingSafeEqual(a, b);
}

function sessionKey(settings: AccessSettings): string {
  return [settings.AUTOFIX_DASHBOARD_TOKEN ?? "", settings.AUTOFIX_DASHBOARD_USER ?? "", settings.AUTOFIX_DASHBOARD_PASSWORD ?? ""].join("\u0000");
}

function sessionMac(settings: AccessSettings, issuedAt: string): string {
  return createHmac("sha256", sessionKey(settings)).update(`autofix-dashboard-session-v2:${issuedAt}`).digest("base64url");
}

/**
 * The cookie value: when it was issued and an HMAC of that time keyed by the configured secrets. The
 * server checks the age itself (the browser's Max-Age is only a hint), changing the token or password
 * logs every browser out, and a stolen cookie does not reveal the token.
 */
export function sessionValue(settings: AccessSettings, issuedAtMs: number = Date.now()): string {
  const issuedAt = Math.floor(issuedAtMs / 1000).toString(36);
  return `${issuedAt}.${sessionMac(settings, issuedAt)}`;
}

/** A session is valid when its HMAC matches and it is younger than sessionMaxAgeSeconds (a minute of clock skew allowed). */
export function sessionValid(settings: AccessSettings, value: string, nowMs: number = Date.now()): boolean {
  const dot = value.indexOf(".");
  if (dot <= 0) return false;
  const issuedAt = value.slice(0, dot);
  if (!/^[0-9a-z]{1,12}$/.test(issuedAt)) return false;
  const macOk = safeEqual(value.slice(dot + 1), sessionMac(settings, issuedAt));
  const ageSeconds = nowMs / 1000 - parseInt(issuedAt, 36);
  return macOk && ageSeconds >= -60 && ageSeconds <= sessionMaxAgeSeconds;
}

export function checkCredentials(settings: AccessSettings, given: { token?: string; user?: string; password?: string }): boolean {
  let ok = false;
  // Evaluate every configured check, so the time taken does not say which one failed.
  if (tokenConfigured(settings) && given.token !== undefined) {
    ok = safeEqual(given.token, settings.AUTOFIX_DASHBOARD_TOKEN!) || ok;
  }
  if (basicConfigured(settings) && given.user !== undefined && given.password !== undefined) {
    const userOk = safeEqual(given.user, settings.AUTOFIX_DASHBOARD_USER!);
    const passwordOk = safeEqual(given.password, settings.AUTOFIX_DASHBOARD_PASSWORD!);
    ok = (userOk && passwordOk) || ok;
  }
  return ok;
}

export function readCookie(req: IncomingMessage, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export function checkAccess(req: IncomingMessage, settings: AccessSettings): Access {
  if (!accessConfigured(settings)) return "off";
  const authorization = req.headers.authorization ?? "";
  const bearer = /^Bearer\s+(.+)$/i.exec(authorization);
  if (bearer) return checkCredentials(settings, { token: bearer[1]!.trim() }) ? "granted" : "denied";
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(authorization);
  if (basic) {
    const decoded = Buffer.from(basic[1]!, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon < 0) return "denied";
    const user = decoded.slice(0, colon);
    const password = decoded.slice(colon + 1);
    return checkCredentials(settings, { user, password }) ? "granted" : "denied";
  }
  const cookie = readCookie(req, sessionCookieName);
  if (cookie) return sessionValid(settings, cookie) ? "granted" : "denied";
  return "denied";
}

/** `Secure` only when the request came over TLS (directly or through a proxy saying so). */
export function sessionCookie(req: IncomingMessage, value: string, maxAgeSeconds: number): string {
  const forwarded = String(req.headers["x-forwarded-proto"] ?? "")
    .split(",")[0]
    ?.trim();
  const secure = forwarded === "https" || Boolean((req.socket as { encrypted?: boolean }).encrypted);
  return [`${sessionCookieName}=${value}`, "Path=/", "HttpOnly", "SameSite=Strict", `Max-Age=${maxAgeSeconds}`, ...(secure ? ["Secure"] : [])].join("; ");
}

/** What to tell an operator when the dashboard is off, naming the variables to set. */
export function accessHint(settings: AccessSettings): string {
  if (settings.AUTOFIX_DASHBOARD_USER && !settings.AUTOFIX_DASHBOARD_PASSWORD) {
    return "AUTOFIX_DASHBOARD_USER is set but AUTOFIX_DASHBOARD_PASSWORD is not: set both, or set AUTOFIX_DASHBOARD_TOKEN (16 characters or more).";
  }
  if (!settings.AUTOFIX_DASHBOARD_USER && settings.AUTOFIX_DASHBOARD_PASSWORD) {
    return "AUTOFIX_DASHBOARD_PASSWORD is set but AUTOFIX_DASHBOARD_USER is not: set both, or set AUTOFIX_DASHBOARD_TOKEN (16 characters or more).";
  }
  return "Set AUTOFIX_DASHBOARD_TOKEN (16 characters or more), or AUTOFIX_DASHBOARD_USER and AUTOFIX_DASHBOARD_PASSWORD, and restart.";
}
