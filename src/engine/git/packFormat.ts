// Git's pack format, decoded with node's native zlib and crypto: object headers, delta application,
// indexing a received pack and writing its version-2 .idx. isomorphic-git does the same in JavaScript
// (pako + a JS SHA-1), which measured at seconds for a 5,000-file checkout; this takes tens of ms.
// Format: https://git-scm.com/docs/pack-format
import { createHash } from "node:crypto";
import { crc32, inflateSync } from "node:zlib";

export type ObjectType = "commit" | "tree" | "blob" | "tag";
export const TYPE_NAMES: Record<number, ObjectType> = { 1: "commit", 2: "tree", 3: "blob", 4: "tag" };
const TYPE_CODES: Record<ObjectType, number> = { commit: 1, tree: 2, blob: 3, tag: 4 };
export const OFS_DELTA = 6;
export const REF_DELTA = 7;

export interface GitObject {
  type: ObjectType;
  content: Buffer;
}

export function objectOid(type: ObjectType, content: Uint8Array): string {
  return createHash("sha1").update(`${type} ${content.byteLength}\0`).update(content).digest("hex");
}

export interface EntryHeader {
  typeCode: number;
  size: number;
  /** Offset of the zlib stream. */
  dataStart: number;
  /** ofs-delta: absolute offset of the base. */
  baseOffset?: number;
  /** ref-delta: oid of the base. */
  baseOid?: string;
}

/** Parses the entry header at `at` in `buf` (which holds the pack starting at offset `bufOffset`). */
export function readEntryHeader(buf: Buffer, at: number, bufOffset = 0): EntryHeader {
  let pos = at;
  let byte = buf[pos++];
  const typeCode = (byte >> 4) & 7;
  let size = byte & 15;
  let shift = 4;
  while (byte & 0x80) {
    byte = buf[pos++];
    size += (byte & 0x7f) * 2 ** shift;
    shift += 7;
  }
  const header: EntryHeader = { typeCode, size, dataStart: pos + bufOffset };
  if (typeCode === OFS_DELTA) {
    byte = buf[pos++];
    let distance = byte & 0x7f;
    while (byte & 0x80) {
      byte = buf[pos++];
      distance = (distance + 1) * 128 + (byte & 0x7f);
    }
    header.baseOffset = at + bufOffset - distance;
    header.dataStart = pos + bufOffset;
  } else if (typeCode === REF_DELTA) {
    header.baseOid = buf.subarray(pos, pos + 20).toString("hex");
    header.dataStart = pos + 20 + bufOffset;
  }
  return header;
}

/** Applies a git delta (copy/insert instructions) to `base`. */
export function applyGitDelta(base: Buffer, delta: Buffer): Buffer {
  let pos = 0;
  const varint = () => {
    let value = 0;
    let shift = 0;
    let byte: number;
    do {
      byte = delta[pos++];
      value += (byte & 0x7f) * 2 ** shift;
      shift += 7;
    } while (byte & 0x80);
    return value;
  };
  const baseSize = varint();
  if (baseSize !== base.length) throw new Error(`delta base size ${baseSize} does not match ${base.length}`);
  const out = Buffer.allocUnsafe(varint());
  let written = 0;
  while (pos < delta.length) {
    const op = delta[pos++];
    if (op & 0x80) {
      let offset = 0;
      let length = 0;
      for (let i = 0; i < 4; i++) if (op & (1 << i)) offset += delta[pos++] * 2 ** (8 * i);
      for (let i = 0; i < 3; i++) if (op & (16 << i)) length += delta[pos++] * 2 ** (8 * i);
      if (length === 0) length = 0x10000;
      written += base.copy(out, written, offset, offset + length);
    } else if (op > 0) {
      written += delta.copy(out, written, pos, pos + op);
      pos += op;
    } else throw new Error("invalid delta opcode 0");
  }
  if (written !== out.length) throw new Error("delta result size mismatch");
  return out;
}

/** One output chunk of the entry's known size: no 16 KiB allocation and no concatenation per object. */
export function inflateChunk(size: number): number {
  return Math.min(Math.max(64, size + 1), 64 * 1024 * 1024);
}

export interface IndexedEntry {
  oid: string;
  offset: number;
  crc: number;
}

/** Longest stretch of synchronous inflating and hashing before the event loop gets a turn. */
export const SLICE_MS = 8;

/** Resolves at once when the current slice has time left, else after one event-loop turn. */
export function timeSlicer(sliceMs = SLICE_MS): () => Promise<void> | undefined {
  let sliceStart = performance.now();
  return () => {
    if (performance.now() - sliceStart < sliceMs) return undefined;
    return new Promise<void>((r) =>
      setImmediate(() => {
        sliceStart = performance.now();
        r();
      }),
    );
  };
}

/**
 * Reads every object of a complete pack (ofs- and ref-deltas resolved inside the pack, or through
 * `external` for thin packs) and returns the entries for its index. Memory: holds decoded objects while
 * indexing, which is fine for the shallow packs the engine fetches. Inflating and hashing a large pack takes
 * seconds: it runs in slices of a few milliseconds, so lease renewals and webhooks are answered meanwhile.
 */
export async function indexPack(
  pack: Buffer,
  external?: (oid: string) => GitObject | undefined,
): Promise<{ entries: IndexedEntry[]; packSha: string; objects: Map<string, GitObject> }> {
  const pause = timeSlicer();
  if (pack.toString("latin1", 0, 4) !== "PACK") throw new Error("not a pack file");
  const count = pack.readUInt32BE(8);
  const byOffset = new Map<number, GitObject>();
  const byOid = new Map<string, GitObject>();
  const entries: IndexedEntry[] = [];
  const pendingRef: { header: EntryHeader; offset: number; data: Buffer; crc: number }[] = [];
  let pos = 12;
  for (let i = 0; i < count; i++) {
    if ((i & 15) === 0) await pause();
    const offset = pos;
    const header = readEntryHeader(pack, pos);
    const { buffer: data, engine } = inflateSync(pack.subarray(header.dataStart), { info: true, chunkSize: inflateChunk(header.size) }) as unknown as {
      buffer: Buffer;
      engine: { bytesWritten: number };
    };
    pos = header.dataStart + engine.bytesWritten;
    const crc = crc32(pack.subarray(offset, pos));
    let object: GitObject | undefined;
    if (header.typeCode === OFS_DELTA) {
      const base = byOffset.get(header.baseOffset!);
      if (!base) throw new Error(`ofs-delta base at ${header.baseOffset} not found`);
      object = { type: base.type, content: applyGitDelta(base.content, data) };
    } else if (header.typeCode === REF_DELTA) {
      const base = byOid.get(header.baseOid!);
      if (!base) {
        pendingRef.push({ header, offset, data, crc });
        continue;
      }
      object = { type: base.type, content: applyGitDelta(base.content, data) };
    } else {
      object = { type: TYPE_NAMES[header.typeCode], content: data };
    }
    const oid = objectOid(object.type, object.content);
    byOffset.set(offset, object);
    byOid.set(oid, object);
    entries.push({ oid, offset, crc });
  }
  // ref-deltas whose base came later in the pack, or lives outside it (thin packs).
  for (let progress = true; pendingRef.length && progress;) {
    progress = false;
    for (let i = pendingRef.length - 1; i >= 0; i--) {
      const { header, offset, data, crc } = pendingRef[i];
      const base = byOid.get(header.baseOid!) ?? external?.(header.baseOid!);
      if (!base) continue;
      const object = { type: base.type, content: applyGitDelta(base.content, data) };
      const oid = objectOid(object.type, object.content);
      byOid.set(oid, object);
      entries.push({ oid, offset, crc });
      pendingRef.splice(i, 1);
      progress = true;
    }
  }
  if (pendingRef.length) throw new Error(`${pendingRef.length} delta bases missing from the pack`);
  return { entries, packSha: pack.subarray(pack.length - 20).toString("hex"), objects: byOid };
}

/** A version-2 pack index, as `git index-pack` writes it. */
export function writePackIndex(entries: IndexedEntry[], packSha: string): Buffer {
  const sorted = [...entries].sort((a, b) => (a.oid < b.oid ? -1 : a.oid > b.oid ? 1 : 0));
  const n = sorted.length;
  const large = sorted.filter((e) => e.offset >= 0x80000000);
  const buf = Buffer.alloc(8 + 256 * 4 + n * 20 + n * 4 + n * 4 + large.length * 8 + 40);
  let pos = 0;
  buf.writeUInt32BE(0xff744f63, pos);
  buf.writeUInt32BE(2, pos + 4);
  pos += 8;
  const fanout = new Array<number>(256).fill(0);
  for (const e of sorted) fanout[Number.parseInt(e.oid.slice(0, 2), 16)]++;
  let running = 0;
  for (let i = 0; i < 256; i++) {
    running += fanout[i];
    buf.writeUInt32BE(running, pos);
    pos += 4;
  }
  for (const e of sorted) pos += buf.write(e.oid, pos, "hex");
  for (const e of sorted) pos = buf.writeUInt32BE(e.crc >>> 0, pos);
  let largeIndex = 0;
  for (const e of sorted) {
    pos = buf.writeUInt32BE(e.offset >= 0x80000000 ? (0x80000000 | largeIndex++) >>> 0 : e.offset, pos);
  }
  for (const e of large) pos = buf.writeBigUInt64BE(BigInt(e.offset), pos);
  pos += buf.write(packSha, pos, "hex");
  createHash("sha1").update(buf.subarray(0, pos)).digest().copy(buf, pos);
  return buf;
}

export function encodeTypeCode(type: ObjectType): number {
  return TYPE_CODES[type];
}
