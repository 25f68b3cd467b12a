// Scripted agents: tiny Node programs that edit a spawn in one known way, standing in for a coding agent.
// Each helper returns the command to run with cwd = the spawn:
//   const agent = scriptedAgents.editFile("src/a.ts", "new content\n");
//   await runScriptedAgent(agent, spawn.dir);            // or spawn agent.command with agent.args
//   agent.commandLine                                     // the same as one shell-quoted string
// Actions: editFile, deleteEverything, writeGitConfig, symlink (symlinkToPasswd, symlinkOutside),
// writeLargeFile, makeExecutable, addBinary, touchIgnored, writeToolFile, writeThenRestore, hang, canary.
// All scripts live in one file written once per process to a temp dir; the action travels as base64 JSON.
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

export interface ScriptedAgent {
  command: string;
  args: string[];
  /** `command args...`, shell-quoted, for configs that take one command string. */
  commandLine: string;
}

const SCRIPT = String.raw`
const fs = require("node:fs");
const path = require("node:path");
const action = JSON.parse(Buffer.from(process.argv[2], "base64").toString("utf8"));
const write = (p, content, mode) => { fs.mkdirSync(path.dirname(p), { recursive: true }); fs.writeFileSync(p, content); if (mode) fs.chmodSync(p, mode); };
function listAll(dir, out = {}) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const abs = path.join(dir, e.name);
    if (e.isSymbolicLink()) out[abs] = "link:" + fs.readlinkSync(abs);
    else if (e.isDirectory()) listAll(abs, out);
    else if (e.isFile()) out[abs] = fs.readFileSync(abs).toString("base64");
  }
  return out;
}
switch (action.kind) {
  case "edit": write(action.path, Buffer.from(action.contentBase64, "base64")); break;
  case "deleteEverything":
    for (const e of fs.readdirSync(".")) if (e !== ".git") fs.rmSync(e, { recursive: true, force: true });
    break;
  case "writeGitConfig": fs.appendFileSync(".git/config", '[remote "evil"]\n\turl = https://attacker.invalid/x.git\n'); break;
  case "symlink": fs.mkdirSync(path.dirname(action.path), { recursive: true }); fs.symlinkSync(action.target, action.path); break;
  case "large": {
    const fd = fs.openSync(action.path, "w");
    const chunk = Buffer.alloc(1024 * 1024, 97);
    for (let i = 0; i < action.megabytes; i++) fs.writeSync(fd, chunk);
    fs.closeSync(fd);
    break;
  }
  case "chmod": fs.chmodSync(action.path, 0o755); break;
  case "binary": write(action.path, Buffer.from(action.contentBase64, "base64")); break;
  case "restore": {
    const original = fs.readFileSync(action.path);
    fs.writeFileSync(action.path, "temporary edit\n");
    fs.writeFileSync(action.path, original);
    break;
  }
  case "hang": setInterval(() => {}, 1 << 30); break;
  case "canary": write(action.out, JSON.stringify({ env: process.env, files: listAll(process.cwd()) })); break;
  default: throw new Error("unknown action " + action.kind);
}
`;

let scriptPath: string | undefined;

function script(): string {
  if (!scriptPath) {
    scriptPath = path.join(mkdtempSync(path.join(tmpdir(), "autofix-agents-")), "agent.cjs");
    writeFileSync(scriptPath, SCRIPT);
  }
  return scriptPath;
}

function agent(action: Record<string, unknown>): ScriptedAgent {
  const args = [script(), Buffer.from(JSON.stringify(action)).toString("base64")];
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  return { command: process.execPath, args, commandLine: [process.execPath, ...args].map(quote).join(" ") };
}

const b64 = (content: string | Buffer) => Buffer.from(content).toString("base64");

export const scriptedAgents = {
  /** Writes `content` to `file` (creating directories). */
  editFile: (file: string, content: string | Buffer) => agent({ kind: "edit", path: file, contentBase64: b64(content) }),
  /** Removes every file and directory except `.git`. */
  deleteEverything: () => agent({ kind: "deleteEverything" }),
  /** Appends a remote to `.git/config` (a write into `.git`). */
  writeGitConfig: () => agent({ kind: "writeGitConfig" }),
  symlink: (file: string, target: string) => agent({ kind: "symlink", path: file, target }),
  symlinkToPasswd: (file = "passwd-link") => agent({ kind: "symlink", path: file, target: "/etc/passwd" }),
  symlinkOutside: (file = "outside-link") => agent({ kind: "symlink", path: file, target: "../../outside" }),
  /** Writes a file of `megabytes` MiB (default 50). */
  writeLargeFile: (file = "big.dat", megabytes = 50) => agent({ kind: "large", path: file, megabytes }),
  makeExecutable: (file: string) => agent({ kind: "chmod", path: file }),
  /** Adds a binary file (default: bytes with NULs and invalid UTF-8). */
  addBinary: (file = "image.bin", content: Buffer = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0xff, 0xfe, 1, 2, 3])) =>
    agent({ kind: "binary", path: file, contentBase64: b64(content) }),
  /** Writes only under an ignored path (default node_modules/x/index.js). */
  touchIgnored: (file = "node_modules/x/index.js") => agent({ kind: "edit", path: file, contentBase64: b64("module.exports = 1;\n") }),
  /** Writes only the agent's own settings file. */
  writeToolFile: (file = ".claude/settings.local.json") => agent({ kind: "edit", path: file, contentBase64: b64("{}\n") }),
  /** Overwrites `file`, then writes its original bytes back. */
  writeThenRestore: (file: string) => agent({ kind: "restore", path: file }),
  /** Never exits. */
  hang: () => agent({ kind: "hang" }),
  /** Dumps its environment and every file under its cwd (`.git` included) as JSON to `out`. */
  canary: (out: string) => agent({ kind: "canary", out }),
};

/** Runs a scripted agent with cwd = dir; resolves with its exit code (rejects only if it cannot start). */
export function runScriptedAgent(agentCommand: ScriptedAgent, dir: string, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = execFile(agentCommand.command, agentCommand.args, { cwd: dir, env }, (err) => {
      if (err && typeof (err as { code?: unknown }).code !== "number") reject(err);
    });
    child.on("exit", (code) => resolve(code ?? 1));
  });
}
