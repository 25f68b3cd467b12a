// Git credentials for fetch and push, minted from the installation at the moment they are needed:
// never written to a file, a remote URL or a log line.
import type { GitCredentials } from "./types.js";
import type { OctokitLike } from "./octokitLike.js";
import { AutofixError } from "../errors.js";

/**
 * `x-access-token:<installation token>` basic auth, as GitHub documents for GitHub Apps
 * (https://docs.github.com/apps/creating-github-apps/authenticating-with-a-github-app/authenticating-as-a-github-app-installation).
 * Probot's installation Octokit answers `auth({ type: "installation" })` with a fresh or cached token;
 * a token-authenticated Octokit (@octokit/rest with a PAT) answers with its token, which works the same way.
 */
export function installationGitCredentials(octokit: OctokitLike): () => Promise<GitCredentials> {
  return async () => {
    if (!octokit.auth) throw missingToken("this Octokit has no auth() method");
    const auth = (await octokit.auth({ type: "installation" })) as { token?: unknown } | undefined;
    if (!auth || typeof auth.token !== "string" || auth.token.length === 0) throw missingToken("auth() returned no token");
    return { username: "x-access-token", password: auth.token };
  };
}

function missingToken(why: string): AutofixError {
  return new AutofixError(
    "GIT_CREDENTIALS_UNAVAILABLE",
    {
      what: "autofix could not obtain credentials to push to the repository.",
      why: `The GitHub client did not provide an installation token (${why}).`,
      next: "Run the app with GitHub App credentials (APP_ID and PRIVATE_KEY) or the CLI with GITHUB_TOKEN.",
    },
    { retryable: false },
  );
}
