// `autofix doctor`, started as a user starts it, lists what agents and commands will see in the sandbox:
// the toolchains of its PATH and AUTOFIX_SANDBOX_MOUNTS, what it refuses to show, the memory cap and how
// commands get their view of the spawn.
import { mkdirSync } from "node:fs";
import path from "node:path";
import { expect, it } from "vitest";
import { runCli } from "../support/cliRunner.js";
import { tempDir } from "../support/repoBuilder.js";

it("lists the visible toolchains, the refused mounts, the memory cap and the command view", async () => {
  const root = tempDir("doctor-sandbox-");
  const home = path.join(root, "home", "op");
  mkdirSync(path.join(home, ".pyenv", "shims"), { recursive: true });
  mkdirSync(path.join(root, "opt", "tool", "bin"), { recursive: true });
  const result = await runCli(["doctor"], {
    env: {
      PATH: `${home}/.pyenv/shims:${process.env.PATH}`,
      HOME: home,
      AUTOFIX_DATA_DIR: path.join(root, "data"),
      AUTOFIX_SANDBOX_MOUNTS: `${path.join(root, "opt", "tool")},${home},/etc`,
      AUTOFIX_SANDBOX_MEMORY_MB: "2048",
    },
  });
  const line = (name: string) => result.stdout.split("\n").filter((l) => l.includes(` ${name}: `));
  const [visible, refused] = line("sandbox toolchains");
  expect(visible).toContain(`read-only: ${path.join(home, ".pyenv")}`);
  expect(visible).toContain(path.join(root, "opt", "tool"));
  expect(visible).toContain(`PYENV_ROOT=${path.join(home, ".pyenv")}`);
  expect(visible).not.toMatch(new RegExp(`${home}(,|;| |$)`));
  expect(refused).toContain(`${home} (${home} is or holds a home directory)`);
  expect(refused).toContain("/etc (/etc is a whole host tree)");
  expect(line("sandbox memory")[0]).toContain("capped at 2 GiB of memory (a cgroup per run)");
  expect(line("sandbox command view")[0]).toContain("overlay (copy-on-write) view of the spawn");
});
