// Writes a recorded delta's files into a directory (a resumed job re-materializes its spawn and re-applies
// the change to re-run the gates). Paths are checked so a stored delta can never write outside `dir`.
import { chmod, lstat, mkdir, rm, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { AutofixError } from "../errors.js";
import type { Delta } from "./types.js";

export async function applyDelta(delta: Delta, dir: string): Promise<void> {
  const root = path.resolve(dir);
  for (const change of delta.files) {
    const abs = path.resolve(root, change.path);
    const rel = path.relative(root, abs);
    if (rel.startsWith("..") || path.isAbsolute(rel) || rel.split(path.sep)[0] === ".git") {
      throw new AutofixError("DELTA_PATH_INVALID", {
        what: `The recorded change names a path outside the working copy: ${change.path}.`,
        why: "A delta may only hold paths inside the repository, never in .git.",
        next: "Start a new attempt; the stored record of this one cannot be trusted.",
      });
    }
    await rm(abs, { force: true, recursive: await isDir(abs) });
    if (change.kind === "delete") continue;
    await mkdir(path.dirname(abs), { recursive: true });
    if (change.newMode === "120000") {
      await symlink(change.linkTarget ?? Buffer.from(change.contentBase64 ?? "", "base64").toString("utf8"), abs);
      continue;
    }
    await writeFile(abs, Buffer.from(change.contentBase64 ?? "", "base64"));
    await chmod(abs, change.newMode === "100755" ? 0o755 : 0o644);
  }
}

async function isDir(abs: string): Promise<boolean> {
  return lstat(abs).then(
    (s) => s.isDirectory(),
    () => false,
  );
}
