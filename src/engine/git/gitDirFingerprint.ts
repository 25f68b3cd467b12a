// A fingerprint of the spawn's `.git` (config, HEAD, hooks, refs, marker, alternates...), taken at
// materialization and compared later: a difference means something wrote into `.git`.
import { createHash } from "node:crypto";
import { lstat, readdir, readFile, readlink } from "node:fs/promises";
import path from "node:path";

/** Paths git itself rewrites during read-only commands (`git status` refreshes the index) or that only hold content-addressed objects. */
function isVolatile(rel: string): boolean {
  if (rel === "index" || rel === "index.lock") return true;
  if (rel.startsWith("objects/") && !rel.startsWith("objects/info")) return true;
  return false;
}

export async function fingerprintGitDir(gitDir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  async function walk(rel: string): Promise<void> {
    const abs = path.join(gitDir, rel);
    const entries = await readdir(abs, { withFileTypes: true });
    for (const entry of entries) {
      const childRel = rel ? `${rel}/${entry.name}` : entry.name;
      if (isVolatile(childRel)) continue;
      const childAbs = path.join(abs, entry.name);
      if (entry.isSymbolicLink()) out[childRel] = `link:${await readlink(childAbs)}`;
      else if (entry.isDirectory()) {
        out[childRel] = "dir";
        await walk(childRel);
      } else if (entry.isFile()) {
        const info = await lstat(childAbs);
        const digest = createHash("sha1")
          .update(await readFile(childAbs))
          .digest("hex");
        out[childRel] = `${info.mode & 0o777}:${digest}`;
      } else out[childRel] = "special";
    }
  }
  await walk("");
  return out;
}

/** Paths under `.git` added, removed or changed between two fingerprints. */
export function diffFingerprints(before: Record<string, string>, after: Record<string, string>): string[] {
  const changed: string[] = [];
  for (const [rel, value] of Object.entries(after)) if (before[rel] !== value) changed.push(`.git/${rel}`);
  for (const rel of Object.keys(before)) if (!(rel in after)) changed.push(`.git/${rel}`);
  return changed.sort();
}
