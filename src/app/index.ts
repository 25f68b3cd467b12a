// The app room's door: what code outside src/app/ may use.
export { bootAutofix, githubBaseUrl, privateKeyOf } from "./boot.js";
export { presentError, redactSecrets } from "./present.js";
export { withRateLimitRetries } from "./tokens.js";
export { botIdentity, githubJobHandler, giveUpReporter, sweepAfterReclaim, sweepAtStartup } from "./wiring.js";
export { configFileName, configPath, loadConfigViaApi, loadRepoConfig } from "./configLoad.js";
export type { ProbotConfigContext } from "./configLoad.js";
export { createApp } from "./probotApp.js";
export type { AppOptions } from "./probotApp.js";
export { dashboardKeeper } from "./wiring.js";
