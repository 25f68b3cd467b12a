// Guards: refusals a maintainer reads. Each violation says what the agent did, why autofix will not
// publish it, and what to do next, with the offending paths. checkGuards judges the delta alone;
// inspectSpawnIntegrity looks at the spawn (writes into .git, hard links to files outside).
import { readlink } from "node:fs/promises";
import path from "node:path";
import picomatch from "picomatch";
import { AutofixError, type Explanation } from "../errors.js";
import { diffFingerprints, fingerprintGitDir } from "./git/gitDirFingerprint.js";
import { readMarker } from "./spawn.js";
import { readSpawnFindings, readSpawnState } from "./spawnState.js";
import type { Baseline, Delta, GuardLimits, Spawn } from "./types.js";

export type GuardCode =
  | "EMPTY_DELTA"
  | "ONLY_TOOL_FILES"
  | "RESTORED"
  | "WHOLESALE_DELETION"
  | "GIT_DIR_WRITE"
  | "ESCAPING_SYMLINK"
  | "DENIED_PATH"
  | "FILE_TOO_LARGE"
  | "TOTAL_TOO_LARGE"
  | "TOO_MANY_FILES"
  | "TOO_MANY_LINES";

export class GuardViolation {
  readonly message: string;
  constructor(
    readonly code: GuardCode,
    readonly explanation: Explanation,
    readonly paths: string[] = [],
  ) {
    this.message = `${explanation.what} ${explanation.why} ${explanation.next}`;
  }
}

/** The delta was refused by one or more guards; nothing is published. */
export class GuardRefused extends AutofixError {
  readonly violations: GuardViolation[];
  constructor(violations: GuardViolation[]) {
    super(
      "GUARD_REFUSED",
      {
        what: `autofix refused the agent's change (${violations.map((v) => v.code).join(", ")}).`,
        why: violations.map((v) => v.explanation.what).join(" "),
        next: violations[0]?.explanation.next ?? "Retry with a clearer issue description.",
      },
      { data: { violations: violations.map((v) => ({ code: v.code, message: v.message, paths: v.paths })) } },
    );
    this.violations = violations;
  }
}

export const DEFAULT_GUARD_LIMITS: GuardLimits = {
  maxFiles: 50,
  maxLinesChanged: 2_000,
  maxDeletedFiles: 20,
  maxDeletedShare: 0.25,
  maxFileBytes: 5_000_000,
  maxTotalBytes: 20_000_000,
  denyPaths: [".github/workflows/**"],
};

const RETRY = "Comment `/autofix retry` after making the issue more specific, or fix it by hand.";

/**
 * `baselineLinks`: the base commit's symbolic links (path → target), so a chain through a link the agent did
 * not touch is resolved too (readBaselineLinks reads them from the spawn).
 */
export function checkGuards(delta: Delta, baseline: Baseline, limits: GuardLimits, baselineLinks: Record<string, string> = {}): GuardViolation[] {
  const out: GuardViolation[] = [];
  const { files } = delta;
  if (files.length === 0) {
    const excludedPaths = delta.excluded.map((e) => e.path);
    if (delta.touchedButRestored) {
      out.push(
        new GuardViolation("RESTORED", {
          what: "The agent changed files and then restored them all.",
          why: "Every file it wrote ended byte-identical to the base commit, so there is no change to propose.",
          next: RETRY,
        }),
      );
    } else if (delta.excluded.length > 0 && delta.excluded.every((e) => e.reason === "tool-file")) {
      out.push(
        new GuardViolation(
          "ONLY_TOOL_FILES",
          {
            what: "The agent's only changes were its own tool files.",
            why: "Agent settings, caches and editor files are never part of a pull request.",
            next: RETRY,
          },
          excludedPaths,
        ),
      );
    } else {
      out.push(
        new GuardViolation(
          "EMPTY_DELTA",
          {
            what: "The agent made no changes.",
            why: excludedPaths.length
              ? `It only wrote paths the repository ignores or agent tool files (${summarize(excludedPaths)}).`
              : "No file in the repository differs from the base commit.",
            next: RETRY,
          },
          excludedPaths,
        ),
      );
    }
    return out;
  }

  const deleted = files.filter((f) => f.kind === "delete").map((f) => f.path);
  const baselineCount = Object.keys(baseline.files).length;
  const share = baselineCount ? deleted.length / baselineCount : 0;
  if (deleted.length > limits.maxDeletedFiles || (deleted.length > 1 && share > limits.maxDeletedShare)) {
    out.push(
      new GuardViolation(
        "WHOLESALE_DELETION",
        {
          what: `The agent deleted ${deleted.length} of ${baselineCount} files.`,
          why: `More than ${limits.maxDeletedFiles} files or ${Math.round(limits.maxDeletedShare * 100)}% of the repository deleted at once is treated as destructive.`,
          next: "If such a deletion is intended, do it by hand; otherwise retry with a clearer issue description.",
        },
        deleted,
      ),
    );
  }

  // Each link's text alone, and every path as the filesystem will resolve it through all the links of the
  // tree after the change (`a/b -> ..` plus `key -> a/b/a/b/../../x` climbs out though neither text does).
  const links = linksAfter(delta, baselineLinks);
  const escaping = files.filter(
    (f) => f.kind !== "delete" && ((f.linkTarget !== undefined && linkEscapes(f.path, f.linkTarget)) || resolveInTree(f.path, links).escapes),
  );
  if (escaping.length) {
    out.push(
      new GuardViolation(
        "ESCAPING_SYMLINK",
        {
          what: `The agent created symbolic links that point outside the repository (${escaping.map((f) => `${f.path} → ${f.linkTarget}`).join(", ")}).`,
          why: "A link out of the working copy can expose files of the machine that builds or reviews the change.",
          next: "Links must stay inside the repository; retry, or add the link by hand if it is really wanted.",
        },
        escaping.map((f) => f.path),
      ),
    );
  }

  if (limits.denyPaths.length) {
    const denied = picomatch(limits.denyPaths, { dot: true });
    const hits = files.filter((f) => denied(f.path)).map((f) => f.path);
    if (hits.length) {
      out.push(
        new GuardViolation(
          "DENIED_PATH",
          {
            what: `The agent changed protected paths (${summarize(hits)}).`,
            why: `The repository's autofix settings deny changes matching ${limits.denyPaths.join(", ")}.`,
            next: "Make this change by hand, or adjust `denyPaths` in .github/autofix.yml if autofix should be allowed to.",
          },
          hits,
        ),
      );
    }
  }

  const large = files.filter((f) => f.kind !== "delete" && f.size > limits.maxFileBytes);
  if (large.length) {
    out.push(
      new GuardViolation(
        "FILE_TOO_LARGE",
        {
          what: `The agent wrote files larger than ${formatBytes(limits.maxFileBytes)} (${large.map((f) => `${f.path}: ${formatBytes(f.size)}`).join(", ")}).`,
          why: "Large files are almost never part of a fix and bloat the repository forever.",
          next: "Raise `limits.maxFileBytes` in .github/autofix.yml if this is expected, or retry.",
        },
        large.map((f) => f.path),
      ),
    );
  }
  if (delta.stats.bytesWritten > limits.maxTotalBytes) {
    out.push(
      new GuardViolation(
        "TOTAL_TOO_LARGE",
        {
          what: `The agent wrote ${formatBytes(delta.stats.bytesWritten)} in total.`,
          why: `The limit for one change is ${formatBytes(limits.maxTotalBytes)}.`,
          next: "Raise `limits.maxTotalBytes` in .github/autofix.yml if this is expected, or retry.",
        },
        files.filter((f) => f.kind !== "delete").map((f) => f.path),
      ),
    );
  }
  if (files.length > limits.maxFiles) {
    out.push(
      new GuardViolation(
        "TOO_MANY_FILES",
        {
          what: `The agent changed ${files.length} files.`,
          why: `The limit for one change is ${limits.maxFiles} files, to keep pull requests reviewable.`,
          next: "Split the issue into smaller ones, or raise `limits.maxFiles` in .github/autofix.yml.",
        },
        files.map((f) => f.path),
      ),
    );
  }
  const lines = delta.stats.linesAdded + delta.stats.linesDeleted;
  if (lines > limits.maxLinesChanged) {
    out.push(
      new GuardViolation(
        "TOO_MANY_LINES",
        {
          what: `The agent changed ${lines} lines.`,
          why: `The limit for one change is ${limits.maxLinesChanged} added plus deleted lines, to keep pull requests reviewable.`,
          next: "Split the issue into smaller ones, or raise `limits.maxLinesChanged` in .github/autofix.yml.",
        },
        files.map((f) => f.path),
      ),
    );
  }
  return out;
}

/** A link escapes when it is absolute, climbs above the repository root, or points into `.git`. */
export function linkEscapes(linkPath: string, target: string): boolean {
  if (target.startsWith("/") || /^[A-Za-z]:[\\/]/.test(target)) return true;
  const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(linkPath), target.replace(/\\/g, "/")));
  return resolved === ".." || resolved.startsWith("../") || resolved === ".git" || resolved.startsWith(".git/");
}

const maxLinkHops = 40;

/** The tree's links after the change: the base's, minus what the delta deleted or replaced, plus the delta's. */
function linksAfter(delta: Delta, baselineLinks: Record<string, string>): Map<string, string> {
  const links = new Map(Object.entries(baselineLinks));
  for (const f of delta.files) {
    if (f.kind === "delete" || f.linkTarget === undefined) links.delete(f.path);
    else links.set(f.path, f.linkTarget);
  }
  return links;
}

/**
 * Resolves a repository path the way the kernel would, component by component, substituting every link met
 * (physical `..`, after the link). Escapes when it climbs above the root, reaches an absolute target or
 * `.git`, or loops (more than 40 links, as the kernel's ELOOP).
 */
export function resolveInTree(repoPath: string, links: Map<string, string>): { escapes: boolean; resolved?: string } {
  let pending = repoPath.replace(/\\/g, "/").split("/");
  const stack: string[] = [];
  let hops = 0;
  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (stack.length === 0) return { escapes: true };
      stack.pop();
      continue;
    }
    stack.push(part);
    if (stack[0] === ".git") return { escapes: true };
    const target = links.get(stack.join("/"));
    if (target === undefined) continue;
    if (++hops > maxLinkHops || target.startsWith("/") || /^[A-Za-z]:[\\/]/.test(target)) return { escapes: true };
    stack.pop();
    pending = [...target.replace(/\\/g, "/").split("/"), ...pending];
  }
  return { escapes: false, resolved: stack.join("/") };
}

/** The base commit's links as they are in the spawn (untouched ones are the base's), read without following. */
export async function readBaselineLinks(spawnDir: string, baseline: Baseline): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const linkPaths = Object.entries(baseline.files)
    .filter(([, entry]) => entry.mode === "120000")
    .map(([p]) => p);
  for (const linkPath of linkPaths) {
    try {
      out[linkPath] = await readlink(path.join(spawnDir, linkPath));
    } catch {
      // deleted or no longer a link: the delta says so
    }
  }
  return out;
}

export async function inspectSpawnIntegrity(spawn: Spawn): Promise<GuardViolation[]> {
  const out: GuardViolation[] = [];
  const state = await readSpawnState(spawn);
  const marker = await readMarker(spawn.dir);
  const changed = diffFingerprints(state.gitDir, await fingerprintGitDir(path.join(spawn.dir, ".git")).catch(() => ({})));
  if (changed.length || !marker) {
    out.push(
      new GuardViolation(
        "GIT_DIR_WRITE",
        {
          what: `The agent wrote into the repository's .git directory (${summarize(changed.length ? changed : [".git"])}).`,
          why: "Changing git's configuration, hooks or refs could run code or send data elsewhere; the agent may only edit the working tree.",
          next: "Retry; if the agent keeps doing this, check its instructions or use another agent.",
        },
        changed,
      ),
    );
  }
  const { hardlinked } = await readSpawnFindings(spawn);
  if (hardlinked.length) {
    out.push(
      new GuardViolation(
        "ESCAPING_SYMLINK",
        {
          what: `The agent created hard links (${summarize(hardlinked)}).`,
          why: "A hard link can carry the content of a file outside the repository into the change.",
          next: "Retry; files must be written, not linked.",
        },
        hardlinked,
      ),
    );
  }
  return out;
}

function summarize(paths: string[], max = 5): string {
  return paths.length <= max ? paths.join(", ") : `${paths.slice(0, max).join(", ")} and ${paths.length - max} more`;
}

function formatBytes(bytes: number): string {
  if (bytes >= 1_000_000) return `${(bytes / 1_000_000).toFixed(1)} MB`;
  if (bytes >= 1_000) return `${(bytes / 1_000).toFixed(1)} kB`;
  return `${bytes} B`;
}
