// Helpers shared by the engine's integration tests (not a test file itself).
import { lstatSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import path from "node:path";

/** path → "file:<mode>:<base64>" | "link:<target>" for every file under dir (.git skipped unless asked). */
export function snapshotTree(dir: string, options: { includeGit?: boolean } = {}): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const name of readdirSync(path.join(dir, rel))) {
      const childRel = rel ? `${rel}/${name}` : name;
      if (name === ".git" && !options.includeGit) continue;
      const abs = path.join(dir, childRel);
      const info = lstatSync(abs);
      if (info.isSymbolicLink()) out[childRel] = `link:${readlinkSync(abs)}`;
      else if (info.isDirectory()) walk(childRel);
      else out[childRel] = options.includeGit ? readFileSync(abs, "latin1") : `file:${info.mode & 0o111 ? "x" : "-"}:${readFileSync(abs).toString("base64")}`;
    }
  };
  walk("");
  return out;
}
