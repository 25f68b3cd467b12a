// The forge room's public surface.
export type * from "./types.js";
export { createOctokitForge, toPermissionLevel, type OctokitForgeOptions } from "./octokitForge.js";
export { createLocalForge, renderLocalReport, type LocalForge, type LocalReport, type LocalForgeOptions } from "./localForge.js";
export { installationGitCredentials } from "./gitCredentials.js";
export { truncateForGitHub, checkOutputMaxChars } from "./githubChecks.js";
export { explainRequestError, type OctokitLike, type ForgeLogger } from "./octokitLike.js";
export { statusOf } from "./octokitLike.js";
export { permissionLevels } from "./types.js";
