// Lets isomorphic-git run the fetch protocol (discovery, auth through onAuth, wants/haves/shallow
// negotiation, ref updates) while the engine indexes the received pack itself: the http client passed to
// isomorphic-git hands it the upload-pack response with the pack replaced by an empty one, and keeps the
// real pack for indexPack (native zlib + crypto). isomorphic-git's own indexer took seconds per checkout.
import { createHash } from "node:crypto";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import type { GitHttpRequest, GitHttpResponse, HttpClient } from "isomorphic-git";
import nodeHttp from "isomorphic-git/http/node";
import { indexPack, writePackIndex, type GitObject } from "./packFormat.js";

export interface PackCapture {
  http: HttpClient;
  /** Complete packs received by upload-pack requests, in order. */
  packs: Buffer[];
}

const EMPTY_PACK = (() => {
  const header = Buffer.from([0x50, 0x41, 0x43, 0x4b, 0, 0, 0, 2, 0, 0, 0, 0]);
  return Buffer.concat([header, createHash("sha1").update(header).digest()]);
})();

export function capturePacks(): PackCapture {
  const packs: Buffer[] = [];
  const http: HttpClient = {
    async request(request: GitHttpRequest): Promise<GitHttpResponse> {
      const response = await nodeHttp.request(request);
      const isUploadPack = request.method === "POST" && request.url.endsWith("/git-upload-pack");
      if (!isUploadPack || response.statusCode !== 200 || !response.body) return response;
      const body = await collect(response.body);
      const { lines, pack } = splitSideband(body);
      if (pack.length > 0) packs.push(pack);
      return { ...response, body: iterate([lines, pktLine(Buffer.concat([Buffer.from([1]), EMPTY_PACK])), Buffer.from("0000")]) };
    },
  };
  return { http, packs };
}

/** Writes a received pack and its index into `<gitdir>/objects/pack`; returns the decoded objects. */
export async function storePack(gitdir: string, pack: Buffer, external?: (oid: string) => GitObject | undefined): Promise<Map<string, GitObject>> {
  const trailer = pack.subarray(pack.length - 20).toString("hex");
  const computed = createHash("sha1")
    .update(pack.subarray(0, pack.length - 20))
    .digest("hex");
  if (trailer !== computed) throw new Error("the received pack is corrupt (checksum mismatch)");
  const { entries, packSha, objects } = await indexPack(pack, external);
  const base = path.join(gitdir, "objects", "pack", `pack-${packSha}`);
  await writeFile(`${base}.pack`, pack);
  await writeFile(`${base}.idx`, writePackIndex(entries, packSha));
  return objects;
}

/** Separates pkt-lines (shallow/ACK/NAK, kept for isomorphic-git) from side-band channel 1 (the pack). */
function splitSideband(body: Buffer): { lines: Buffer; pack: Buffer } {
  const kept: Buffer[] = [];
  const pack: Buffer[] = [];
  let pos = 0;
  while (pos + 4 <= body.length) {
    const length = Number.parseInt(body.toString("latin1", pos, pos + 4), 16);
    if (Number.isNaN(length)) break;
    if (length === 0) {
      kept.push(body.subarray(pos, pos + 4));
      pos += 4;
      continue;
    }
    const payload = body.subarray(pos + 4, pos + length);
    if (payload[0] === 1) pack.push(payload.subarray(1));
    else kept.push(body.subarray(pos, pos + length));
    pos += length;
  }
  return { lines: Buffer.concat(kept), pack: Buffer.concat(pack) };
}

function pktLine(payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from((payload.length + 4).toString(16).padStart(4, "0")), payload]);
}

async function collect(body: AsyncIterableIterator<Uint8Array>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

async function* iterate(chunks: Buffer[]): AsyncIterableIterator<Uint8Array> {
  for (const chunk of chunks) yield chunk;
}
