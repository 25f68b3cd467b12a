// The Redis store's inbox: webhook deliveries recorded before the answer, decided after, deleted once decided.
// One hash per record, a sorted set in receipt order and one by lease expiry; each change is one Lua script.
import type { Redis } from "ioredis";
import type { Inbox, InboxEntry, InboxRecord } from "../types.js";

/** ARGV: prefix, id, name, key, payload, receivedAt, holder, leaseUntilMs. Returns the seq, or 0 for a known id. */
const RECORD = `
local P, id = ARGV[1], ARGV[2]
local r = P .. ':inbox:rec:' .. id
if redis.call('EXISTS', r) == 1 then return 0 end
local seq = redis.call('INCR', P .. ':inbox:seq')
redis.call('HSET', r, 'id', id, 'name', ARGV[3], 'key', ARGV[4], 'payload', ARGV[5], 'receivedAt', ARGV[6], 'holder', ARGV[7], 'seq', seq, 'attempts', 1)
redis.call('ZADD', P .. ':inbox:order', seq, id)
redis.call('ZADD', P .. ':inbox:leases', ARGV[8], id)
return seq
`;

/**
 * ARGV: prefix, holder, nowMs, leaseUntilMs, limit. Returns flat [id, name, key, payload, receivedAt, seq, attempts]...
 * The oldest `limit` lapsed records by receipt (seq), not by lease: every lapsed one is looked at (a short list).
 */
const CLAIM_EXPIRED = `
local P, holder, now, untilMs, limit = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4], tonumber(ARGV[5])
local ids = redis.call('ZRANGEBYSCORE', P .. ':inbox:leases', '-inf', now, 'LIMIT', 0, 10000)
local lapsed = {}
for _, id in ipairs(ids) do
  local seq = redis.call('HGET', P .. ':inbox:rec:' .. id, 'seq')
  if seq then table.insert(lapsed, {tonumber(seq), id}) else redis.call('ZREM', P .. ':inbox:leases', id) end
end
table.sort(lapsed, function(a, b) return a[1] < b[1] end)
local out = {}
for i = 1, math.min(limit, #lapsed) do
  local seq, id = lapsed[i][1], lapsed[i][2]
  local r = P .. ':inbox:rec:' .. id
  local attempts = redis.call('HINCRBY', r, 'attempts', 1)
  redis.call('HSET', r, 'holder', holder)
  redis.call('ZADD', P .. ':inbox:leases', untilMs, id)
  local f = redis.call('HMGET', r, 'name', 'key', 'payload', 'receivedAt')
  for _, v in ipairs({id, f[1], f[2], f[3], f[4], tostring(seq), tostring(attempts)}) do table.insert(out, v) end
end
return out
`;

/** ARGV: prefix, holder, leaseUntilMs, ids... Leases only of records this holder still has. */
const SET_LEASES = `
local P, holder, untilMs = ARGV[1], ARGV[2], ARGV[3]
for i = 4, #ARGV do
  local id = ARGV[i]
  if redis.call('HGET', P .. ':inbox:rec:' .. id, 'holder') == holder then redis.call('ZADD', P .. ':inbox:leases', untilMs, id) end
end
return 0
`;

/** ARGV: prefix, id. */
const SETTLE = `
local P, id = ARGV[1], ARGV[2]
redis.call('DEL', P .. ':inbox:rec:' .. id)
redis.call('ZREM', P .. ':inbox:order', id)
redis.call('ZREM', P .. ':inbox:leases', id)
return 0
`;

function parsed(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

export class RedisInbox implements Inbox {
  private readonly commands = new Map<string, string>();

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private run(script: string, ...args: Array<string | number>): Promise<unknown> {
    let name = this.commands.get(script);
    if (!name) {
      name = `autofixInbox${this.commands.size}`;
      this.redis.defineCommand(name, { numberOfKeys: 0, lua: script });
      this.commands.set(script, name);
    }
    return (this.redis as unknown as Record<string, (...a: Array<string | number>) => Promise<unknown>>)[name](this.prefix, ...args);
  }

  async record(entry: InboxEntry, holder: string, leaseMs: number): Promise<boolean> {
    const seq = Number(await this.run(RECORD, entry.id, entry.name, entry.key, JSON.stringify(entry.payload), entry.receivedAt, holder, Date.now() + leaseMs));
    return seq > 0;
  }

  async claimExpired(holder: string, leaseMs: number, limit: number): Promise<InboxRecord[]> {
    const nowMs = Date.now();
    const flat = (await this.run(CLAIM_EXPIRED, holder, nowMs, nowMs + leaseMs, limit)) as string[];
    const records: InboxRecord[] = [];
    for (let i = 0; i + 6 < flat.length; i += 7) {
      const [id, name, key, payload, receivedAt, seq, attempts] = flat.slice(i, i + 7);
      records.push({ id, name, key, payload: parsed(payload), receivedAt, seq: Number(seq), attempts: Number(attempts) });
    }
    return records;
  }

  async renew(holder: string, ids: string[], leaseMs: number): Promise<void> {
    if (ids.length > 0) await this.run(SET_LEASES, holder, Date.now() + leaseMs, ...ids);
  }

  async release(holder: string, ids: string[]): Promise<void> {
    if (ids.length > 0) await this.run(SET_LEASES, holder, 0, ...ids);
  }

  async settle(id: string): Promise<void> {
    await this.run(SETTLE, id);
  }

  async pending(): Promise<{ count: number; oldestReceivedAt?: string }> {
    const count = await this.redis.zcard(`${this.prefix}:inbox:order`);
    if (count === 0) return { count };
    const [oldest] = await this.redis.zrange(`${this.prefix}:inbox:order`, 0, 0);
    const receivedAt = oldest ? await this.redis.hget(`${this.prefix}:inbox:rec:${oldest}`, "receivedAt") : null;
    return receivedAt ? { count, oldestReceivedAt: receivedAt } : { count };
  }
}
