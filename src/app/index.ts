// The app room's door: what code outside src/app/ may use.
export { bootAutofix, githubBaseUrl, privateKeyOf } from "./boot.js";
export { presentError } from "./present.js";
export { withRateLimitRetries } from "./tokens.js";
export { botIdentity, githubJobHandler, giveUpReporter, sweepAfterReclaim, sweepAtStartup } from "./wiring.js";
export { onIssueCancelled, onIssueLabeled } from "./handlers.js";
export type { AppDeps } from "./handlers.js";
export { onConfigPullRequest } from "./configCheck.js";
export { onIssueComment } from "./commands.js";
export { onPush } from "./baseMoved.js";
export { onPullRequestClosed, onPullRequestSynchronize, onReviewSubmitted } from "./prEvents.js";
