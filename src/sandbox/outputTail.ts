// Keeps the last N bytes of a process's interleaved output: reports need the end (the error), not the start.

export class OutputTail {
  private chunks: Buffer[] = [];
  private bytes = 0;
  private dropped = false;

  constructor(private readonly maxBytes: number) {}

  push(chunk: Buffer): void {
    if (this.maxBytes <= 0) {
      this.dropped ||= chunk.length > 0;
      return;
    }
    this.chunks.push(chunk);
    this.bytes += chunk.length;
    while (this.bytes > this.maxBytes) {
      const first = this.chunks[0]!;
      const excess = this.bytes - this.maxBytes;
      this.dropped = true;
      if (first.length <= excess) {
        this.chunks.shift();
        this.bytes -= first.length;
      } else {
        this.chunks[0] = first.subarray(excess);
        this.bytes -= excess;
      }
    }
  }

  get truncated(): boolean {
    return this.dropped;
  }

  text(): string {
    const decoded = Buffer.concat(this.chunks, this.bytes).toString("utf8");
    // Cutting the front may split a multi-byte character: drop the replacement characters it leaves.
    return this.dropped ? decoded.replace(/^\uFFFD+/, "") : decoded;
  }
}
