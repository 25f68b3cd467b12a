// Writes `.git/index` (version 2) for a fresh spawn from the stat data taken at checkout, so an agent that
// runs `git status` or `git diff` in the spawn sees a clean tree and then exactly its own edits. The engine
// itself never reads it (the delta uses the baseline and the stat snapshot outside the spawn).
// Format: https://git-scm.com/docs/index-format
import { createHash } from "node:crypto";
import type { Stats } from "node:fs";
import type { GitMode } from "./types.js";

export interface IndexEntry {
  path: string;
  oid: string;
  mode: GitMode;
  /** lstat of the written file (undefined for a submodule's empty directory). */
  stats?: Stats;
}

const MODE_BITS: Record<GitMode, number> = { "100644": 0o100644, "100755": 0o100755, "120000": 0o120000, "160000": 0o160000 };

export function buildGitIndex(entries: IndexEntry[]): Buffer {
  // git sorts index entries by the bytes of their path (encode once: the comparator runs n log n times).
  const sorted = entries
    .map((entry) => ({ ...entry, name: Buffer.from(entry.path, "utf8") }))
    .sort((a, b) => Buffer.compare(a.name, b.name));
  const chunks: Buffer[] = [];
  const header = Buffer.alloc(12);
  header.write("DIRC", 0, "latin1");
  header.writeUInt32BE(2, 4);
  header.writeUInt32BE(sorted.length, 8);
  chunks.push(header);
  for (const entry of sorted) {
    const name = entry.name;
    const length = 62 + name.length;
    const padded = Math.ceil((length + 1) / 8) * 8;
    const buf = Buffer.alloc(padded);
    const s = entry.stats;
    const split = (ms: number) => [Math.floor(ms / 1000), Math.floor((ms % 1000) * 1e6)];
    const [cs, cn] = s ? split(s.ctimeMs) : [0, 0];
    const [ms, mn] = s ? split(s.mtimeMs) : [0, 0];
    const u32 = (v: number) => v >>> 0;
    let pos = 0;
    for (const v of [cs, cn, ms, mn, s?.dev ?? 0, s?.ino ?? 0, MODE_BITS[entry.mode], s?.uid ?? 0, s?.gid ?? 0, s?.size ?? 0]) {
      pos = buf.writeUInt32BE(u32(v % 2 ** 32), pos);
    }
    pos += buf.write(entry.oid, pos, "hex");
    buf.writeUInt16BE(Math.min(name.length, 0xfff), pos);
    name.copy(buf, pos + 2);
    chunks.push(buf);
  }
  const body = Buffer.concat(chunks);
  return Buffer.concat([body, createHash("sha1").update(body).digest()]);
}
