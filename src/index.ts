// The package's entry: the Probot app function, for hosts that load it themselves (`probot run`,
// serverless adapters). `npm start` goes through src/server.ts instead.
export { createApp, type AppOptions } from "./app/index.js";
