// The sign-in form (token, or user and password when basic auth is configured) and the plain
// message pages the dashboard answers with when it is off or a job does not exist.
import { html, page, type Html } from "./html.js";

/** Where to go after signing in: a dashboard path only, so the form cannot redirect anywhere else. */
export function safeNext(value: string | null | undefined): string {
  // Dot segments (plain or percent-encoded) are resolved by the browser and could leave /autofix.
  const dotSegment = /(^|\/)(\.|%2e){1,2}(\/|$)/i.test(value ?? "");
  return value && /^\/autofix(\/[\w%.:-]+)*\/?$/.test(value) && !dotSegment && !value.startsWith("/autofix/login") ? value : "/autofix";
}

export function renderLoginPage(options: { token: boolean; basic: boolean; failed: boolean; next?: string }): string {
  const fields: Html[] = [];
  if (options.token) {
    fields.push(html`<label for="token">Dashboard token</label> <input id="token" name="token" type="password" autocomplete="current-password" />`);
  }
  if (options.basic) {
    fields.push(
      html`${options.token ? html`<p class="muted">or</p>` : ""}<label for="user">User</label>
        <input id="user" name="user" autocomplete="username" />
        <label for="password">Password</label>
        <input id="password" name="password" type="password" autocomplete="current-password" />`,
    );
  }
  const body = html`<h1>Sign in</h1>
    <p>The dashboard shows repository names and agent output, so it needs the operator's credentials.</p>
    ${options.failed ? html`<p class="badge fail" role="alert">Those credentials are not right. Try again.</p>` : ""}
    <form class="login" method="post" action="/autofix/login">
      <input type="hidden" name="next" value="${safeNext(options.next)}" />${fields}<button type="submit">Sign in</button>
    </form>`;
  return page({ title: "autofix: sign in", body });
}

export function renderMessagePage(title: string, message: string): string {
  return page({
    title,
    body: html`<h1>${title}</h1>
      <p class="message">${message}</p>`,
  });
}
