// `autofix doctor`'s disk check: what an operator reads about free space under the data directory.
import { describe, expect, it } from "vitest";
import { diskCheck } from "../../src/cli/doctor.js";

const GB = 1024 ** 3;

describe("doctor: free disk space", () => {
  it("is fine with room to spare, and says whether spare checkouts are on", () => {
    expect(diskCheck("/data", 40 * GB, "on")).toEqual({ name: "disk", status: "ok", detail: "40.0 GB free under /data; spare checkouts are on" });
  });

  it("warns when space runs low, naming the setting that saves the most", () => {
    const low = diskCheck("/data", 1.5 * GB, "on");
    expect(low.status).toBe("warn");
    expect(low.detail).toMatch(/^only 1\.5 GB free under \/data: .*AUTOFIX_SPARE_CHECKOUTS=off/);
    expect(diskCheck("/data", 1.5 * GB, "off").detail).toMatch(/move AUTOFIX_DATA_DIR to a larger disk$/);
  });
});
