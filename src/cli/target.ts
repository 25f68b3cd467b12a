// Parses the issue a CLI run is about: `owner/repo#12` or an issue URL (github.com or GHES).
import type { RepoRef } from "../forge/index.js";
import { UsageError } from "./errors.js";

export function parseTarget(text: string): { repo: RepoRef; issueNumber: number } {
  const short = /^([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)#(\d+)$/.exec(text);
  if (short) return { repo: { owner: short[1], repo: short[2] }, issueNumber: Number(short[3]) };
  try {
    const url = new URL(text);
    const m = /^\/([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)\/(?:issues|pull)\/(\d+)\/?$/.exec(url.pathname);
    if (m && (url.protocol === "https:" || url.protocol === "http:")) return { repo: { owner: m[1], repo: m[2] }, issueNumber: Number(m[3]) };
  } catch {
    // not a URL: fall through to the usage error
  }
  throw new UsageError(`\`${text}\` is not an issue reference.`, "Use owner/repo#12 or an issue URL such as https://github.com/owner/repo/issues/12.");
}
