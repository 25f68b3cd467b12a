// A revision's agent changes the PR's head, but the judges must see the PR's whole change against
// its base. GitHub reports that change per file (hunks against the merge base); reversing those
// hunks on the head's blobs gives the base side, and the spawn gives the revised side.
import { applyPatch, parsePatch, reversePatch } from "diff";
import type { PrFile } from "../forge/index.js";
import { readBlob } from "../engine/index.js";
import { storeAt } from "../engine/index.js";
import { readSpawnState } from "../engine/index.js";
import { deltaStats } from "../engine/index.js";
import { isBinary, textPatch } from "../engine/index.js";
import type { Baseline, Delta, Engine, FileChange, Spawn } from "../engine/index.js";

export async function wholeChangeDelta(input: { spawn: Spawn; headBaseline: Baseline; revision: Delta; prFiles: PrFile[]; engine?: Engine }): Promise<Delta> {
  const state = await readSpawnState(input.spawn);
  const store = storeAt(state.storeGitdir, state.local, input.engine);
  const revised = new Map(input.revision.files.map((f) => [f.path, f]));
  const prFiles = new Map(input.prFiles.map((f) => [f.path, f]));
  const paths = [...new Set([...prFiles.keys(), ...revised.keys()])].sort();
  const files: FileChange[] = [];
  for (const p of paths) {
    const head = input.headBaseline.files[p];
    const headContent = head ? await readBlob(store, head.oid) : undefined;
    const prFile = prFiles.get(p);
    const rev = revised.get(p);
    const final = rev ? (rev.kind === "delete" ? undefined : Buffer.from(rev.contentBase64 ?? "", "base64")) : headContent;
    const base = prFile ? reconstructBase(p, prFile, headContent) : { content: headContent };
    if (base === undefined) {
      // GitHub shows no hunks for binaries and very large files: say so instead of guessing.
      files.push({
        path: p,
        kind: final ? (headContent ? "modify" : "add") : "delete",
        binary: true,
        size: final?.length ?? 0,
        linesAdded: 0,
        linesDeleted: 0,
      });
      continue;
    }
    if (equal(base.content, final)) continue;
    const kind = base.content === undefined ? "add" : final === undefined ? "delete" : "modify";
    const binary = (final && isBinary(final)) || (base.content && isBinary(base.content)) || false;
    const patch = binary ? { linesAdded: 0, linesDeleted: 0 } : textPatch(p, base.content, final);
    files.push({
      path: p,
      kind,
      binary,
      size: final?.length ?? 0,
      ...patch,
      ...(rev?.newMode ? { newMode: rev.newMode } : head ? { newMode: head.mode } : {}),
    });
  }
  return {
    baseSha: input.headBaseline.baseSha,
    files,
    stats: { ...deltaStats(files), bytesWritten: input.revision.stats.bytesWritten },
    excluded: input.revision.excluded,
    touchedButRestored: false,
  };
}

function reconstructBase(p: string, file: PrFile, head: Buffer | undefined): { content: Buffer | undefined } | undefined {
  if (file.status === "added") return { content: undefined };
  if (file.patch === undefined) return undefined;
  const header = `--- a/${file.previousPath ?? p}\n+++ b/${p}\n`;
  const [parsed] = parsePatch(header + file.patch + (file.patch.endsWith("\n") ? "" : "\n"));
  const base = applyPatch((head ?? Buffer.alloc(0)).toString("utf8"), reversePatch(parsed));
  if (base === false) return undefined;
  return { content: Buffer.from(base, "utf8") };
}

function equal(a: Buffer | undefined, b: Buffer | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.equals(b);
}
