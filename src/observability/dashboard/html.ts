// HTML building blocks of the dashboard: escaping (everything from a job is hostile text), the page
// frame with its inline stylesheet, and small formatters. No templates, no client-side script.
import type { Settings } from "../../settings.js";
import type { RepoRef } from "../../forge/index.js";

/** Escapes for element content and quoted attribute values alike. */
export function escapeHtml(value: unknown): string {
  return String(value ?? "")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/** Marks a string as already-escaped HTML, so `html` does not escape it twice. */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

/** Tagged template: interpolated values are escaped unless they are Html (or arrays of Html). */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0] ?? "";
  values.forEach((value, i) => {
    out += render(value) + (strings[i + 1] ?? "");
  });
  return new Html(out);
}

function render(value: unknown): string {
  if (value instanceof Html) return value.value;
  if (Array.isArray(value)) return value.map(render).join("");
  if (value === undefined || value === null || value === false) return "";
  return escapeHtml(value);
}

export function githubBaseUrl(settings: Pick<Settings, "GHE_HOST" | "GHE_PROTOCOL">): string {
  if (!settings.GHE_HOST) return "https://github.com";
  return `${settings.GHE_PROTOCOL ?? "https"}://${settings.GHE_HOST.replace(/\/+$/, "")}`;
}

export function repoUrl(base: string, repo: RepoRef): string {
  return `${base}/${encodeURIComponent(repo.owner)}/${encodeURIComponent(repo.repo)}`;
}

export function formatDuration(ms: number | undefined): string {
  if (ms === undefined) return "–";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s % 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function formatCost(usd: number | undefined): string {
  return typeof usd === "number" && Number.isFinite(usd) ? `$${usd.toFixed(usd < 1 ? 4 : 2)}` : "–";
}

export function formatTime(iso: string | undefined): string {
  if (!iso) return "–";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? "–" : date.toISOString().replace("T", " ").slice(0, 19) + " UTC";
}

const stylesheet = `
*{box-sizing:border-box}
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1f2328;background:#f6f8fa}
header{background:#24292f;color:#fff;padding:.6rem 1rem;display:flex;gap:1rem;align-items:center;flex-wrap:wrap}
header a{color:#fff;text-decoration:none;font-weight:600}header .muted{color:#c9d1d9}
header form{margin-left:auto}
main{padding:1rem;max-width:1200px;margin:0 auto}
h1{font-size:1.3rem;margin:.2rem 0 1rem}h2{font-size:1.1rem;margin:1.4rem 0 .5rem}h3{font-size:1rem;margin:1rem 0 .3rem}
table{border-collapse:collapse;width:100%;background:#fff;border:1px solid #d0d7de}
th,td{text-align:left;padding:.4rem .6rem;border-bottom:1px solid #d0d7de;vertical-align:top}
th{background:#f6f8fa;font-weight:600}
a{color:#0969da}
.muted{color:#656d76}.empty{color:#656d76;font-style:italic}
.badge{display:inline-block;padding:0 .45rem;border-radius:1rem;font-size:.82rem;border:1px solid #d0d7de;background:#fff;white-space:nowrap;margin:0 .2rem .2rem 0}
.pass,.done,.succeeded{background:#dafbe1;border-color:#4ac26b}
.fail,.failed,.error{background:#ffebe9;border-color:#ff8182}
.skipped,.cancelled,.unavailable{background:#eaeef2}
.running,.queued{background:#fff8c5;border-color:#d4a72c}
pre{background:#0d1117;color:#e6edf3;padding:.7rem;overflow:auto;max-height:28rem;white-space:pre-wrap;word-break:break-word;font-size:.82rem;border-radius:6px}
.card{background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:.7rem 1rem;margin:.6rem 0}
ul{margin:.3rem 0;padding-left:1.3rem}
form.login{max-width:22rem;background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:1rem}
form.login label{display:block;margin:.5rem 0 .2rem}
input{font:inherit;width:100%;padding:.35rem}button{font:inherit;padding:.3rem .9rem;margin-top:.7rem}
header button{margin:0}
@media (max-width:700px){
 table,thead,tbody,tr,td{display:block;border:0}thead{display:none}
 tr{background:#fff;border:1px solid #d0d7de;border-radius:6px;margin:.6rem 0;padding:.3rem .2rem}
 td{border:0;padding:.2rem .6rem}
 td[data-label]::before{content:attr(data-label) ": ";font-weight:600;color:#656d76}
}`;

export interface PageOptions {
  title: string;
  body: Html;
  /** Seconds between reloads; none for pages that do not change (login, finished job). */
  refreshSeconds?: number;
  signedIn?: boolean;
}

export function page(options: PageOptions): string {
  const refresh = options.refreshSeconds ? html`<meta http-equiv="refresh" content="${options.refreshSeconds}" />` : "";
  const signOut = options.signedIn ? html`<form method="post" action="/autofix/logout"><button type="submit">Sign out</button></form>` : "";
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width,initial-scale=1" />
        <meta name="referrer" content="same-origin" />
        ${refresh}
        <title>${options.title}</title>
        <style>
          ${new Html(stylesheet)}
        </style>
      </head>
      <body>
        <header><a href="/autofix">autofix</a><span class="muted">jobs dashboard</span>${signOut}</header>
        <main>${options.body}</main>
      </body>
    </html>`.value;
}
