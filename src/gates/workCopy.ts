// Where one side's commands run: a copy-on-write view of the spawn (or of the baseline checkout), so builds,
// snapshot updates, coverage files and reports never reach the directory they read. An overlay where the
// sandbox offers one; otherwise a copy made with `cp -a` (reflinks where the filesystem has them). Nothing
// writable is ever linked back: a committed vendor/ or node_modules/ is copied or overlaid like the rest.
import { execFile } from "node:child_process";
import { lstat, mkdir, rm } from "node:fs/promises";
import path from "node:path";
import { makeWhiteouts, type Sandbox } from "../sandbox/index.js";

export interface CommandView {
  /** The working directory the commands get. */
  dir: string;
  /** Set for an overlay: the sandbox mounts it over `dir` for each run (with `layer` stacked above `dir`). */
  view?: { dir: string; layer?: string };
  /** Where the files the commands write can be read afterwards (the overlay's upper layer, or the copy). */
  writtenRoot: string;
  kind: "overlay" | "copy";
}

function copyTree(source: string, target: string): Promise<void> {
  return new Promise((resolve, reject) => {
    // `source/.` copies the contents, dotfiles and .git included; -a keeps links as links, never followed.
    execFile("cp", ["-a", "--reflink=auto", "--no-target-directory", `${source}/.`, target], { maxBuffer: 1024 * 1024 }, (err, _out, stderr) =>
      err ? reject(new Error(`copying ${source} for the checks failed: ${stderr.trim() || err.message}`)) : resolve(),
    );
  });
}

/**
 * Removes a view once its side is judged: build outputs (target/, node_modules/) can be large, and a job may
 * run several attempts. overlayfs leaves its work directory mode 000: made writable first when removal fails.
 */
export async function closeCommandView(view: CommandView): Promise<void> {
  const dir = view.view?.dir ?? view.dir;
  try {
    await rm(dir, { recursive: true, force: true });
  } catch {
    await new Promise<void>((resolve) => execFile("chmod", ["-R", "u+rwx", dir], () => resolve()));
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }
}

/** Writes a layer that, stacked above the source directory, shows another tree (the base commit's); returns the paths to hide. */
export type LayerWriter = (layerDir: string) => Promise<{ whiteouts: string[] }>;

/**
 * A fresh view of `sourceDir` under `sideDir` (which the caller recreated empty). With `layer`, the view shows
 * `sourceDir` as the layer turns it (overlay only: the caller checks `sandbox.description.commandView`).
 */
export async function openCommandView(
  sandbox: Sandbox,
  sourceDir: string,
  sideDir: string,
  mode: "auto" | "copy" = "auto",
  layer?: LayerWriter,
): Promise<CommandView> {
  const source = await lstat(sourceDir).catch(() => undefined);
  if (!source?.isDirectory()) throw new Error(`the directory the checks run in, ${sourceDir}, is missing or not a directory`);
  if (sandbox.description.commandView === "overlay" && mode === "auto") {
    const viewDir = path.join(sideDir, "view");
    await mkdir(viewDir, { recursive: true });
    if (!layer) return { dir: sourceDir, view: { dir: viewDir }, writtenRoot: path.join(viewDir, "upper"), kind: "overlay" };
    const layerDir = path.join(viewDir, "layer");
    await mkdir(layerDir);
    await makeWhiteouts(layerDir, (await layer(layerDir)).whiteouts);
    return { dir: sourceDir, view: { dir: viewDir, layer: layerDir }, writtenRoot: path.join(viewDir, "upper"), kind: "overlay" };
  }
  if (layer) throw new Error("a layered view needs overlay mounts, which this sandbox does not offer");
  const copy = path.join(sideDir, "work");
  await rm(copy, { recursive: true, force: true });
  await mkdir(copy, { recursive: true });
  await copyTree(sourceDir, copy);
  return { dir: copy, writtenRoot: copy, kind: "copy" };
}
