// The delta as the rules read it: each text file with its whole content before and after, and deleted
// files paired with added ones by content similarity (git's 50 % rule), so a moved file is judged by
// what changed in it rather than as one file deleted and another added.
import { applyPatch, createTwoFilesPatch, FILE_HEADERS_ONLY, parsePatch, reversePatch } from "diff";
import type { Delta, FileChange } from "../../engine/index.js";
import { readPatch } from "../patchLines.js";
import { languageOf, splitCode, type CodeViews, type Language } from "./codeText.js";

export interface JudgedChange {
  path: string;
  /** Set when this change is a rename or move paired by similarity. */
  oldPath?: string;
  kind: "add" | "modify" | "delete";
  binary: boolean;
  before: string;
  after: string;
  added: string[];
  removed: string[];
  language: Language;
  views: () => { before: CodeViews; after: CodeViews };
}

export const renameSimilarity = 0.5;

function newText(change: FileChange): string {
  return change.contentBase64 ? Buffer.from(change.contentBase64, "base64").toString("utf8") : "";
}

function oldText(change: FileChange, after: string): string {
  if (change.kind === "add") return "";
  // No patch (a file too large to diff) or one that does not reverse: judge nothing in it rather than
  // mistake every line of it for new.
  if (!change.patch) return change.kind === "modify" ? after : "";
  if (change.kind === "delete") return readPatch(change.patch).removed.join("\n") + (change.patch.includes("\\ No newline") ? "" : "\n");
  try {
    const [parsed] = parsePatch(change.patch);
    if (!parsed) return after;
    const restored = applyPatch(after, reversePatch(parsed));
    return typeof restored === "string" ? restored : after;
  } catch {
    return after;
  }
}

function lineBag(text: string): Map<string, number> {
  const bag = new Map<string, number>();
  for (const line of text.split("\n")) {
    const key = line.trim();
    if (key) bag.set(key, (bag.get(key) ?? 0) + 1);
  }
  return bag;
}

/** Share of lines two texts have in common, over the larger one: 1 for identical, 0 for disjoint. */
export function similarity(a: string, b: string): number {
  const bagA = lineBag(a);
  const bagB = lineBag(b);
  let sizeA = 0;
  let sizeB = 0;
  let common = 0;
  for (const count of bagA.values()) sizeA += count;
  for (const count of bagB.values()) sizeB += count;
  for (const [line, count] of bagA) common += Math.min(count, bagB.get(line) ?? 0);
  const size = Math.max(sizeA, sizeB);
  return size === 0 ? (a === b ? 1 : 0) : common / size;
}

function makeChange(
  path: string,
  kind: JudgedChange["kind"],
  binary: boolean,
  before: string,
  after: string,
  patch: string | undefined,
  oldPath?: string,
): JudgedChange {
  const { added, removed } = readPatch(patch);
  const language = languageOf(path);
  let cached: { before: CodeViews; after: CodeViews } | undefined;
  return {
    path,
    ...(oldPath ? { oldPath } : {}),
    kind,
    binary,
    before,
    after,
    added,
    removed,
    language,
    views: () => (cached ??= { before: splitCode(before, languageOf(oldPath ?? path)), after: splitCode(after, language) }),
  };
}

export function judgedChanges(delta: Delta): JudgedChange[] {
  const texts = delta.files.map((change) => {
    const after = change.binary ? "" : newText(change);
    return { change, after, before: change.binary ? "" : oldText(change, after) };
  });
  const deleted = texts.filter((t) => t.change.kind === "delete" && !t.change.binary);
  const added = texts.filter((t) => t.change.kind === "add" && !t.change.binary);
  // Best pairs first, same as git's rename detection: each file takes part in at most one pair.
  const candidates: { from: (typeof texts)[number]; to: (typeof texts)[number]; score: number }[] = [];
  for (const from of deleted) {
    for (const to of added) {
      const score = from.change.oldOid === to.change.newOid ? 1 : similarity(from.before, to.after);
      if (score >= renameSimilarity) candidates.push({ from, to, score });
    }
  }
  candidates.sort((a, b) => b.score - a.score);
  const paired = new Set<FileChange>();
  const result: JudgedChange[] = [];
  for (const { from, to } of candidates) {
    if (paired.has(from.change) || paired.has(to.change)) continue;
    paired.add(from.change);
    paired.add(to.change);
    const patch = createTwoFilesPatch(`a/${from.change.path}`, `b/${to.change.path}`, from.before, to.after, undefined, undefined, {
      headerOptions: FILE_HEADERS_ONLY,
    });
    result.push(makeChange(to.change.path, "modify", false, from.before, to.after, patch, from.change.path));
  }
  for (const { change, before, after } of texts) {
    if (paired.has(change)) continue;
    result.push(
      makeChange(change.path, change.kind === "delete" ? "delete" : change.kind === "add" ? "add" : "modify", change.binary, before, after, change.patch),
    );
  }
  return result;
}
