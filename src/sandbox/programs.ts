// Finding a program the way a shell would, for the bot itself: bubblewrap starts with an empty
// environment (no PATH lookup inside), and presets and `autofix doctor` must say where a CLI is.
import { accessSync, constants, statSync } from "node:fs";
import path from "node:path";

/** The first executable regular file named `program` on `searchPath` (a PATH string); a path with a slash is checked as given. */
export function findOnPath(program: string, searchPath: string = process.env.PATH ?? ""): string | undefined {
  if (program.includes("/")) return isExecutableFile(program) ? program : undefined;
  for (const dir of searchPath.split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, program);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

function isExecutableFile(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    // A directory is "executable" too; a shell would not run it.
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** Whether `child` is `parent` or lies below it (lexically; resolve links first where they matter). */
export function isWithin(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel));
}
