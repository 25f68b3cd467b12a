// Files coding agents leave behind for themselves (settings, sessions, editor swap files). They are never
// part of the agent's change, whether or not the repository ignores them. Globs are picomatch patterns
// matched against the posix path relative to the spawn; a pattern without "/" matches at any depth.
import picomatch from "picomatch";

export const DEFAULT_TOOL_FILES: readonly string[] = [
  ".claude/**", // Claude Code settings and local memory
  "CLAUDE.local.md",
  ".codex/**", // OpenAI Codex
  ".aider*", // Aider history, tags cache, config (.aider.chat.history.md, .aider.tags.cache.v3/)
  ".aider*/**",
  ".cursor/**",
  ".continue/**",
  ".openhands/**",
  ".goose/**",
  ".windsurf/**",
  ".gemini/**",
  ".idea/**",
  ".vscode/**",
  "*.swp", // vim
  "*.swo",
  "*~", // emacs / many editors' backups
  ".#*", // emacs lock files
  "#*#", // emacs auto-save
  "*.orig", // patch / merge leftovers
  "*.rej",
  ".DS_Store",
  "Thumbs.db",
];

export type ToolFileMatcher = (posixPath: string) => boolean;

export function toolFileMatcher(extra: readonly string[] = []): ToolFileMatcher {
  const patterns = [...DEFAULT_TOOL_FILES, ...extra];
  const anywhere = patterns.filter((p) => !p.includes("/"));
  const rooted = patterns.filter((p) => p.includes("/"));
  const matchBase = picomatch(anywhere, { dot: true, basename: true });
  const matchRooted = picomatch(rooted, { dot: true });
  // A directory pattern like ".claude/**" also covers that directory nested anywhere (packages/x/.claude/).
  const matchNested = picomatch(
    rooted.map((p) => `**/${p}`),
    { dot: true },
  );
  return (p) => matchBase(p) || matchRooted(p) || matchNested(p);
}
