// Builders for bare repositories of any size, served by the git server. Uses native git (tests only).
import { execFile, execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, chmodSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

export type FileSpec = string | Buffer | { content: string | Buffer; executable?: boolean } | { symlink: string };

export const gitEnv = {
  ...process.env,
  GIT_AUTHOR_NAME: "Test Author",
  GIT_AUTHOR_EMAIL: "author@example.test",
  GIT_COMMITTER_NAME: "Test Author",
  GIT_COMMITTER_EMAIL: "author@example.test",
  GIT_CONFIG_NOSYSTEM: "1",
  HOME: tmpdir(),
};

export function git(cwd: string, ...args: string[]): string {
  return execFileSync("git", args, { cwd, env: gitEnv, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
}

export function tempDir(prefix = "autofix-test-"): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

export function writeFiles(dir: string, files: Record<string, FileSpec | null>): void {
  for (const [rel, spec] of Object.entries(files)) {
    const abs = path.join(dir, rel);
    if (spec === null) {
      rmSync(abs, { force: true, recursive: true });
      continue;
    }
    mkdirSync(path.dirname(abs), { recursive: true });
    rmSync(abs, { force: true });
    if (typeof spec === "object" && !Buffer.isBuffer(spec) && "symlink" in spec) {
      symlinkSync(spec.symlink, abs);
    } else if (typeof spec === "object" && !Buffer.isBuffer(spec)) {
      writeFileSync(abs, spec.content);
      if (spec.executable) chmodSync(abs, 0o755);
    } else {
      writeFileSync(abs, spec);
    }
  }
}

export interface BuiltRepo {
  /** Path of the bare repository (serve it from its parent directory). */
  bare: string;
  /** A non-bare working clone for making further commits. */
  work: string;
  /** Commit files on `branch` (default main) and push them to the bare repository; returns the new sha. */
  commit(files: Record<string, FileSpec | null>, message?: string, branch?: string): string;
  head(branch?: string): string;
}

/** Create `<root>/<name>.git` with an initial commit holding `files` on `main`. */
export function buildRepo(root: string, name: string, files: Record<string, FileSpec | null>): BuiltRepo {
  const bare = path.join(root, `${name}.git`);
  git(root, "init", "-q", "--bare", "-b", "main", bare);
  const work = tempDir(`autofix-work-${name}-`);
  git(work, "init", "-q", "-b", "main");
  git(work, "remote", "add", "origin", bare);
  const repo: BuiltRepo = {
    bare,
    work,
    commit(next, message = "update", branch = "main") {
      const current = git(work, "symbolic-ref", "--short", "HEAD").trim();
      if (current !== branch) {
        try {
          git(work, "checkout", "-q", branch);
        } catch {
          git(work, "checkout", "-q", "-b", branch);
        }
      }
      writeFiles(work, next);
      git(work, "add", "-A");
      git(work, "commit", "-q", "--allow-empty", "-m", message);
      git(work, "push", "-q", "origin", `${branch}:${branch}`);
      return git(work, "rev-parse", "HEAD").trim();
    },
    head(branch = "main") {
      return git(bare, "rev-parse", branch).trim();
    },
  };
  repo.commit(files, "initial commit");
  return repo;
}

/** `count` generated text files of about `bytes` each, spread over nested directories. */
export function generatedFiles(count: number, bytes = 2048): Record<string, string> {
  const files: Record<string, string> = {};
  const line = "export const value = 'lorem ipsum dolor sit amet';\n";
  const body = line.repeat(Math.max(1, Math.ceil(bytes / line.length)));
  for (let i = 0; i < count; i++) {
    const dir = `src/d${i % 50}/e${Math.floor(i / 50) % 20}`;
    files[`${dir}/file${i}.ts`] = `// file ${i}\n${body}`;
  }
  return files;
}

/** Native git without blocking the event loop: required when the loopback git server runs in this process. */
export function gitAsync(cwd: string, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile("git", args, { cwd, env: gitEnv, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 }, (err, stdout, stderr) =>
      err ? reject(Object.assign(err, { stderr })) : resolve(stdout),
    );
  });
}

/**
 * `count` text files of about `bytes` each, every one with its own contents (pseudo-random hex from a seeded
 * generator, so runs are repeatable): unlike generatedFiles, nothing delta-compresses against another file, and
 * the pack is as large as a real repository's of that size.
 */
export function distinctFiles(count: number, bytes = 2048, seed = 1): Record<string, string> {
  let state = seed >>> 0 || 1;
  // xorshift32: fast, deterministic, good enough to keep zlib and git's delta search from finding repeats.
  const next = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return state >>> 0;
  };
  const files: Record<string, string> = {};
  const random = Buffer.alloc(24);
  for (let i = 0; i < count; i++) {
    const dir = `src/d${i % 50}/e${Math.floor(i / 50) % 20}`;
    let body = `// file ${i}\n`;
    for (let line = 0; body.length < bytes; line++) {
      for (let at = 0; at < random.length; at += 4) random.writeUInt32LE(next(), at);
      body += `export const v${line} = "${random.toString("hex")}";\n`;
    }
    files[`${dir}/file${i}.ts`] = body;
  }
  return files;
}
