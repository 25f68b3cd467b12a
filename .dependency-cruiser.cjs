// The walls of the house (docs/architecture.md draws the same picture). Run by `npm run lint:walls`
// in .ci/run before the tests; test/unit/walls.test.ts proves each rule catches what it names.
//
// A room may import rooms on its own level or below, never above. Code outside a room imports only
// the room's door, `src/<room>/index.ts`. No import circles anywhere.
const levels = [
  ["index.ts", "server.ts"], // entry points
  ["cli", "app"], // the edges people and GitHub talk to (cli may use app's wiring, not the reverse)
  ["runtime.ts"], // composition root: settings to a running pipeline
  ["pipeline", "observability"], // the job's steps; dashboard and metrics
  ["gates"], // verdicts on a delta
  ["engine", "agents"], // the git engine; whatever edits the spawn
  ["llm", "sandbox", "config", "jobs"], // services the rooms above use
  ["forge"], // the port to the code host
  ["errors.ts", "settings.ts"], // shared base: error type, operator settings
];

const pathOf = (name) => (name.endsWith(".ts") ? `^src/${name.replace(".", "\\.")}$` : `^src/${name}/`);
const below = (i) => levels.slice(i + 1).flat();
const above = (i) => levels.slice(0, i).flat();

const upward = levels.flatMap((rooms, i) =>
  i === 0
    ? []
    : rooms.map((room) => ({
        name: `no-upward-from-${room.replace(".ts", "")}`,
        comment: `${room} sits below ${above(i).join(", ")}: it may import only ${[...rooms.filter((r) => r !== room), ...below(i)].join(", ") || "nothing"} of the other rooms.`,
        severity: "error",
        from: { path: pathOf(room) },
        to: { path: above(i).map(pathOf) },
      })),
);

Object.assign(module.exports, {
  forbidden: [
    ...upward,
    {
      name: "app-does-not-import-cli",
      comment: "The CLI is built on the app's wiring; the app never needs the CLI.",
      severity: "error",
      from: { path: "^src/app/" },
      to: { path: "^src/cli/" },
    },
    {
      name: "doors-only",
      comment: "Outside a room, import only its door (src/<room>/index.ts); add what you need to the door.",
      severity: "error",
      from: { path: "^src/([^/]+)/" },
      to: { path: "^src/[^/]+/.+", pathNot: ["^src/$1/", "^src/[^/]+/index\\.ts$"] },
    },
    {
      name: "doors-only-from-root-files",
      comment: "Root files (server.ts, runtime.ts, index.ts) import a room only through its door.",
      severity: "error",
      from: { path: "^src/[^/]+\\.ts$" },
      to: { path: "^src/[^/]+/.+", pathNot: "^src/[^/]+/index\\.ts$" },
    },
    {
      name: "no-own-door-inside",
      comment: "Inside a room, import the file itself: going through your own door makes a circle.",
      severity: "error",
      from: { path: "^src/([^/]+)/" },
      to: { path: "^src/$1/index\\.ts$" },
    },
    {
      name: "no-circular",
      comment: "Import circles make load order matter and rooms impossible to read alone.",
      severity: "error",
      from: {},
      to: { circular: true },
    },
    {
      name: "src-does-not-import-tests",
      severity: "error",
      from: { path: "^src/" },
      to: { path: "^(test|bench|scripts)/" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { extensions: [".ts", ".js"] },
  },
});
// Not part of the checker's schema: docs/architecture.md is checked against these levels.
Object.defineProperty(module.exports, "levels", { value: levels, enumerable: false });
