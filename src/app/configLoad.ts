// Loading a repository's config: through Probot's context.config (which resolves `_extends` and the
// organisation's `.github` repository), or straight from the REST API for the CLI and for checking a
// PR's changed config at its head sha, resolving `_extends` the way Probot does.
import { createHash } from "node:crypto";
import { parseDocument } from "yaml";
import type { OctokitLike } from "../forge/index.js";
import { explainRequestError, statusOf } from "../forge/index.js";
import type { RepoRef } from "../forge/index.js";
import { extendsKey, parseConfig, validateConfigObject, type ConfigProblem, type ConfigResult } from "../config/index.js";

export const configFileName = "autofix.yml";
export const configPath = `.github/${configFileName}`;
const maxExtendsDepth = 5;
/** GitHub's own config loaders stop at this size; a larger file is refused unparsed. */
export const maxConfigBytes = 64 * 1024;

export interface ProbotConfigContext {
  config: (fileName: string, defaults?: any) => Promise<unknown>;
  /** Present on Probot's Context: used to re-read the file for line numbers when it is invalid. */
  octokit?: unknown;
  repo?: () => RepoRef;
}

function yamlLine(err: unknown): number | undefined {
  const cause = (err as { cause?: { linePos?: { line: number }[] } })?.cause;
  return cause?.linePos?.[0]?.line;
}

/** Probot's loader throws plain Errors for bad YAML, bad `_extends` and loops; those are the user's to fix. */
function isConfigFileError(err: unknown): err is Error {
  return err instanceof Error && statusOf(err) === undefined && /octokit-plugin-config|_extends|could not be parsed/i.test(err.message);
}

export async function loadRepoConfig(context: ProbotConfigContext, fileName = configFileName): Promise<ConfigResult> {
  let loaded: unknown;
  try {
    loaded = await context.config(fileName);
  } catch (err) {
    if (!isConfigFileError(err)) throw explainRequestError(err, `read .github/${fileName}`);
    const message = err.message.replace(/^\[@probot\/octokit-plugin-config\]\s*/, "");
    const line = yamlLine(err);
    return { ok: false, problems: [{ path: "", ...(line ? { line } : {}), message: `the configuration could not be read: ${message}.` }] };
  }
  const result = validateConfigObject(loaded);
  if (result.ok || !context.octokit || !context.repo) return result;
  // Probot hands over a parsed object without positions; the raw file gives the same problems with lines.
  const withLines = await loadConfigViaApi(context.octokit as OctokitLike, context.repo(), undefined, fileName).catch(() => undefined);
  return withLines && !withLines.ok ? withLines : result;
}

interface ConfigFile {
  repo: RepoRef;
  path: string;
  text: string | undefined;
  notAFile?: boolean;
  /** Set (and text left out) when the file is larger than maxConfigBytes. */
  bytes?: number;
}

function sized(file: ConfigFile, bytes: number, text: () => string): ConfigFile {
  return bytes > maxConfigBytes ? { ...file, text: undefined, bytes } : { ...file, text: text() };
}

async function fetchFile(octokit: OctokitLike, repo: RepoRef, path: string, ref?: string): Promise<ConfigFile> {
  try {
    const { data } = await octokit.request("GET /repos/{owner}/{repo}/contents/{path}", {
      ...repo,
      path,
      ...(ref ? { ref } : {}),
      mediaType: { format: "raw" },
    });
    if (typeof data === "string") return sized({ repo, path, text: undefined }, Buffer.byteLength(data), () => data);
    // Octokit hands over bytes when GitHub's content type carries no charset.
    if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) {
      const bytes = data as ArrayBuffer;
      return sized({ repo, path, text: undefined }, bytes.byteLength, () => new TextDecoder().decode(bytes));
    }
    // A directory (or submodule) answers with JSON even when raw content is asked for.
    return { repo, path, text: undefined, notAFile: true };
  } catch (err) {
    if (statusOf(err) === 404) return { repo, path, text: undefined };
    throw explainRequestError(err, `read ${path} of ${repo.owner}/${repo.repo}`);
  }
}

const extendsPattern = /^(?:([a-z\d](?:[a-z\d]|-(?=[a-z\d])){0,38})\/)?([-_.\w\d]+)(?::([-_./\w\d]+\.ya?ml))?$/i;

/** `repo`, `owner/repo` or `owner/repo:path.yml`, as Probot's config plugin reads `_extends`. */
export function parseExtends(value: string, from: { owner: string; path: string }): { repo: RepoRef; path: string } | undefined {
  const match = value.trim().match(extendsPattern);
  if (!match) return undefined;
  return { repo: { owner: match[1] || from.owner, repo: match[2] }, path: match[3] || from.path };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Probot merges with deepmerge's defaults: mappings merge key by key, lists concatenate (base first). */
export function mergeLikeProbot(base: unknown, override: unknown): unknown {
  if (Array.isArray(base) && Array.isArray(override)) return [...base, ...override];
  if (isPlainObject(base) && isPlainObject(override)) {
    const merged: Record<string, unknown> = { ...base };
    for (const [key, value] of Object.entries(override)) merged[key] = key in base ? mergeLikeProbot(base[key], value) : value;
    return merged;
  }
  return override;
}

function label(file: ConfigFile): string {
  return `${file.repo.owner}/${file.repo.repo}:${file.path}`;
}

function tooLarge(file: ConfigFile, own: boolean): ConfigProblem {
  const kib = ((file.bytes ?? 0) / 1024).toFixed(1);
  return {
    path: "",
    message: `${own ? file.path : label(file)} is ${kib} KiB (${file.bytes} bytes), more than the ${maxConfigBytes / 1024} KiB a config file may be, so it was not read. Shorten it (comments and unused options can go).`,
    ...(own ? {} : { source: label(file) }),
  };
}

/** A config as the label handler needs it: the result, which version of the files it came from, and the label it names. */
export type VersionedConfig = ConfigResult & {
  /** Changes whenever any file of the chain changes (a hash of their contents). */
  version: string;
  /** The trigger label the own file names, readable even when the config is invalid. */
  triggerLabel?: string;
};

/**
 * Reads `.github/autofix.yml` of `repo` at `ref` (default branch when absent) through the REST API.
 * Like Probot: a missing file falls back to the owner's `.github` repository; `_extends` is followed
 * (at most 5 levels, loops refused); lists from a base are concatenated with the repository's own.
 */
export async function loadConfigViaApi(octokit: OctokitLike, repo: RepoRef, ref?: string, fileName = configFileName): Promise<ConfigResult> {
  const { version: _version, triggerLabel: _label, ...result } = await loadVersionedConfig(octokit, repo, ref, fileName);
  return result as ConfigResult;
}

/** loadConfigViaApi, plus the version of the files and the label the own file names. */
export async function loadVersionedConfig(octokit: OctokitLike, repo: RepoRef, ref?: string, fileName = configFileName): Promise<VersionedConfig> {
  const hash = createHash("sha256");
  const files: ConfigFile[] = [];
  const fetch = async (r: RepoRef, p: string, at?: string) => {
    const file = await fetchFile(octokit, r, p, at);
    files.push(file);
    hash.update(`${label(file)}\0${file.bytes ?? ""}\0${file.text ?? ""}\0`);
    return file;
  };
  const result = await loadChain(fetch, repo, ref, fileName);
  const own = files.find((f) => f.text !== undefined);
  let named: unknown;
  try {
    named = own ? (parseDocument(own.text ?? "").toJS() as { label?: unknown } | null)?.label : undefined;
  } catch {
    // Unreadable YAML names no label; the default one applies.
  }
  return { ...result, version: hash.digest("hex").slice(0, 16), ...(typeof named === "string" && named ? { triggerLabel: named } : {}) };
}

type FetchFile = (repo: RepoRef, path: string, ref?: string) => Promise<ConfigFile>;

async function loadChain(fetchFile: FetchFile, repo: RepoRef, ref: string | undefined, fileName: string): Promise<ConfigResult> {
  const path = `.github/${fileName}`;
  let file = await fetchFile(repo, path, ref);
  if (file.text === undefined && file.bytes === undefined && !file.notAFile && repo.repo !== ".github")
    file = await fetchFile({ owner: repo.owner, repo: ".github" }, path);
  if (file.notAFile) return { ok: false, problems: [{ path: "", message: `${label(file)} is a directory or a submodule, not a YAML file.` }] };
  if (file.bytes !== undefined) return { ok: false, problems: [tooLarge(file, file.repo.repo === repo.repo && file.repo.owner === repo.owner)] };
  if (file.text === undefined) return validateConfigObject(undefined);

  const chain: { file: ConfigFile; object: unknown }[] = [];
  const problems: ConfigProblem[] = [];
  for (let current: ConfigFile | undefined = file; current;) {
    const own = current === file && current.repo.repo === repo.repo && current.repo.owner === repo.owner;
    const checked = parseConfig(current.text ?? "", own ? path : label(current));
    if (!checked.ok) problems.push(...checked.problems.map((p) => (own ? p : { ...p, source: label(current!) })));
    const object = parseDocument(current.text ?? "").toJS() ?? {};
    chain.push({ file: current, object });
    const inherited = isPlainObject(object) ? object[extendsKey] : undefined;
    if (typeof inherited !== "string") break;
    const target = parseExtends(inherited, { owner: current.repo.owner, path: current.path });
    if (!target) {
      problems.push({
        path: extendsKey,
        message: `\`_extends: ${inherited}\` is not a repository reference; use \`repo\`, \`owner/repo\` or \`owner/repo:path/to/file.yml\`.`,
        source: label(current),
      });
      break;
    }
    const next: ConfigFile = await fetchFile(target.repo, target.path);
    if (next.bytes !== undefined) {
      problems.push(tooLarge(next, false));
      break;
    }
    if (chain.some((c) => label(c.file) === label(next))) {
      problems.push({ path: extendsKey, message: `\`_extends\` loops back to ${label(next)}, which is already loaded.`, source: label(current) });
      break;
    }
    if (next.text === undefined) {
      problems.push({
        path: extendsKey,
        message: `\`_extends: ${inherited}\` points at ${label(next)}, which does not exist or the app cannot read.`,
        source: label(current),
      });
      break;
    }
    if (chain.length >= maxExtendsDepth) {
      problems.push({ path: extendsKey, message: `\`_extends\` goes deeper than ${maxExtendsDepth} files; flatten the chain.`, source: label(current) });
      break;
    }
    current = next;
  }
  if (problems.length > 0) return { ok: false, problems };
  const merged = chain
    .map((c) => (isPlainObject(c.object) ? Object.fromEntries(Object.entries(c.object).filter(([k]) => k !== extendsKey)) : c.object))
    .reduceRight<unknown>((acc, object) => mergeLikeProbot(acc, object), {});
  return validateConfigObject(merged);
}
