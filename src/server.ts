// `npm start`: the webhook server with an embedded worker (set AUTOFIX_WORKER=off when a fleet of
// `autofix worker` processes runs the jobs). Without APP_ID, Probot serves its manifest flow.
import { run } from "probot";
import { bootAutofix } from "./app/index.js";
import { loadSettings } from "./settings.js";
import { presentError } from "./app/index.js";

async function main(): Promise<void> {
  if (!process.env.APP_ID) {
    // First start: open the printed URL to create the GitHub App from app.yml; credentials land in .env.
    await run(() => {});
    return;
  }
  const settings = loadSettings();
  await bootAutofix({
    settings,
    host: process.env.HOST ?? "0.0.0.0",
    port: Number(process.env.PORT ?? 3000),
    startWorker: process.env.AUTOFIX_WORKER !== "off",
    signals: true,
  });
}

main().catch((err) => {
  console.error(presentError(err).plain);
  process.exit(1);
});
