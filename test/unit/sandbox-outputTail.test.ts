// The output kept for reports: the end of what a process printed, within a byte budget.
import { describe, expect, it } from "vitest";
import { OutputTail } from "../../src/sandbox/outputTail.js";

describe("output tail", () => {
  it("keeps everything while under the cap", () => {
    const tail = new OutputTail(100);
    tail.push(Buffer.from("hello "));
    tail.push(Buffer.from("world"));
    expect(tail.text()).toBe("hello world");
    expect(tail.truncated).toBe(false);
  });

  it("keeps the last bytes across chunk boundaries once over the cap", () => {
    const tail = new OutputTail(8);
    tail.push(Buffer.from("0123456789"));
    tail.push(Buffer.from("abc"));
    expect(tail.text()).toBe("6789abc".padStart(8, "5"));
    expect(tail.truncated).toBe(true);
  });

  it("drops a multi-byte character cut in half at the front instead of showing garbage", () => {
    const tail = new OutputTail(5);
    tail.push(Buffer.from("ééé")); // 6 bytes: the cut falls inside the first é
    expect(tail.text()).toBe("éé");
  });

  it("keeps nothing with a zero budget but still says output was dropped", () => {
    const tail = new OutputTail(0);
    tail.push(Buffer.from("x"));
    expect(tail.text()).toBe("");
    expect(tail.truncated).toBe(true);
  });
});
