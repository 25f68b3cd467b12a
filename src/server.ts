// `npm start`: the webhook server with an embedded worker (set AUTOFIX_WORKER=off when a fleet of
// `autofix worker` processes runs the jobs). Without APP_ID, Probot serves its manifest flow.
import { run } from "probot";
import { bootAutofix, presentError, redactSecrets } from "./app/index.js";
import { AutofixError, isAutofixError } from "./errors.js";
import { loadSettings } from "./settings.js";

/** Start-up errors where a setting is at fault (exit 2); JOB_STORE_UNAVAILABLE is infrastructure (exit 3). */
const settingErrors = new Set([
  "SETTINGS_INVALID",
  "ENV_FILE_INVALID",
  "WEBHOOK_SECRET_MISSING",
  "PRIVATE_KEY_MISSING",
  "PRIVATE_KEY_UNREADABLE",
  "PRIVATE_KEY_INVALID",
  "PORT_IN_USE",
  "PORT_NOT_ALLOWED",
  "HOST_INVALID",
]);

/**
 * Probot's manifest flow writes the new App's credentials to `.env` in the working directory: read it, so
 * the next `npm start` runs the App. Variables already set in the environment win over the file.
 */
function loadEnvFile(): void {
  try {
    process.loadEnvFile(".env");
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === "ENOENT") return;
    throw new AutofixError(
      "ENV_FILE_INVALID",
      {
        what: "autofix cannot read .env in the working directory.",
        why: `${(cause as Error).message}.`,
        next: "Fix or remove .env (lines of NAME=value; see .env.example).",
      },
      { cause },
    );
  }
}

async function main(): Promise<void> {
  loadEnvFile();
  if (!process.env.APP_ID) {
    // First start: open the printed URL to create the GitHub App from app.yml; credentials land in .env.
    await run(() => {});
    return;
  }
  const settings = loadSettings();
  await bootAutofix({
    settings,
    host: settings.HOST,
    port: settings.PORT,
    startWorker: settings.AUTOFIX_WORKER !== "off",
    signals: true,
  });
}

main().catch((err: unknown) => {
  if (isAutofixError(err)) {
    console.error(`autofix could not start. ${presentError(err).plain}`);
    process.exit(settingErrors.has(err.code) ? 2 : err.code === "JOB_STORE_UNAVAILABLE" ? 3 : 1);
  }
  // Not one of ours: the message is all an operator has to go on (secrets redacted), and where to look next.
  const message = redactSecrets(err instanceof Error ? err.message : String(err));
  console.error(
    `autofix could not start: ${message}\nNext: run \`npx autofix doctor\` to check the settings; if it passes, report this message with the log lines above.`,
  );
  process.exit(1);
});
