// Reading a file an agent could have written, with the bot's own privileges: never through a link (the
// agent may point go.mod at a host file, package.json at /dev/zero), only a regular file, only so many bytes.
import { constants } from "node:fs";
import { lstat, open } from "node:fs/promises";
import path from "node:path";

export const defaultMaxReadBytes = 1024 * 1024;

/**
 * The text of `root/relative`, or undefined when any component below `root` is a link, the file is not a
 * regular file, or it is larger than maxBytes. The final open uses O_NOFOLLOW and re-checks what it opened,
 * so a swap between the check and the open cannot smuggle a link or a device in.
 */
export async function readSpawnFile(root: string, relative: string, maxBytes = defaultMaxReadBytes): Promise<string | undefined> {
  const parts = relative.split("/").filter((p) => p && p !== ".");
  if (parts.some((p) => p === "..")) return undefined;
  let current = root;
  for (const [index, part] of parts.entries()) {
    current = path.join(current, part);
    try {
      const stat = await lstat(current);
      const last = index === parts.length - 1;
      if (stat.isSymbolicLink() || (last ? !stat.isFile() : !stat.isDirectory())) return undefined;
      if (last && stat.size > maxBytes) return undefined;
    } catch {
      return undefined;
    }
  }
  let handle;
  try {
    handle = await open(current, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return undefined;
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile() || stat.size > maxBytes) return undefined;
    const buffer = Buffer.alloc(Math.min(stat.size, maxBytes) + 1);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    // Grew past the cap since the stat: refuse rather than read a partial manifest.
    if (bytesRead > maxBytes) return undefined;
    return buffer.subarray(0, bytesRead).toString("utf8");
  } finally {
    await handle.close();
  }
}
