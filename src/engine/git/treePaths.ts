// Directory arithmetic on posix paths relative to a tree's root.

/** Every directory that holds one of `files`, at any depth ("a/b/c.txt" gives "a" and "a/b"; never ""). */
export function ancestorDirs(files: Iterable<string>): Set<string> {
  const dirs = new Set<string>();
  for (const file of files) {
    for (let cut = file.lastIndexOf("/"); cut > 0; cut = file.lastIndexOf("/", cut - 1)) {
      const dir = file.slice(0, cut);
      // Its ancestors were added with it.
      if (dirs.has(dir)) break;
      dirs.add(dir);
    }
  }
  return dirs;
}
