// Lua scripts that change job records in Redis atomically (one script = one transaction, whichever process
// runs it). Keys are built from the prefix inside the scripts, so this store needs a single Redis, not a cluster.

/** Helpers shared by every script; ARGV[1] is always the key prefix. */
const PRELUDE = `
local P = ARGV[1]
local function rk(id) return P .. ':job:' .. id end
local function setState(id, new)
  local r = rk(id)
  local old = redis.call('HGET', r, 'state')
  local seq = redis.call('HGET', r, 'seq')
  if old then redis.call('ZREM', P .. ':state:' .. old, id) end
  redis.call('ZADD', P .. ':state:' .. new, seq, id)
  redis.call('HSET', r, 'state', new)
end
-- Cancels the key's queued job now, or asks its running job to stop. Returns id, state before.
local function cancelActive(key, reason, nowIso, outcomeJson)
  local id = redis.call('GET', P .. ':active:' .. key)
  if not id then return nil, '' end
  local r = rk(id)
  local state = redis.call('HGET', r, 'state') or ''
  if state == 'queued' then
    setState(id, 'cancelled')
    redis.call('HSET', r, 'cancelReason', reason, 'outcome', outcomeJson, 'updatedAt', nowIso, 'finishedAt', nowIso)
    redis.call('DEL', P .. ':active:' .. key)
  elseif state == 'running' then
    redis.call('HSET', r, 'cancelRequested', '1', 'updatedAt', nowIso)
    if redis.call('HEXISTS', r, 'cancelReason') == 0 then redis.call('HSET', r, 'cancelReason', reason) end
    redis.call('PUBLISH', P .. ':cancel', id)
  else
    redis.call('DEL', P .. ':active:' .. key)
  end
  return id, state
end
`;

/** ARGV: prefix, id, key, deliveryId|'', nowMs, nowIso, specJson, repo, installationId|'', reason, outcomeJson, ttlSec */
export const ENQUEUE = `${PRELUDE}
local id, key, deliveryId = ARGV[2], ARGV[3], ARGV[4]
local nowMs, nowIso, spec, repo, inst = ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9]
if deliveryId ~= '' then
  local seen = redis.call('GET', P .. ':delivery:' .. deliveryId)
  if seen and redis.call('EXISTS', rk(seen)) == 1 then return {'dup', seen, '', ''} end
end
local old, oldState = cancelActive(key, ARGV[10], nowIso, ARGV[11])
local seq = redis.call('INCR', P .. ':seq')
redis.call('HSET', rk(id), 'id', id, 'key', key, 'repo', repo, 'installationId', inst, 'spec', spec,
  'steps', '[]', 'progress', '{}', 'claims', 0, 'failures', 0, 'createdAt', nowIso, 'createdMs', nowMs,
  'updatedAt', nowIso, 'seq', seq, 'runAfterMs', 0)
setState(id, 'queued')
redis.call('SET', P .. ':active:' .. key, id)
redis.call('ZADD', P .. ':all', seq, id)
redis.call('ZADD', P .. ':bykey:' .. key, seq, id)
redis.call('ZADD', P .. ':created', nowMs, id)
redis.call('ZADD', P .. ':repo:' .. repo, nowMs, id)
if inst ~= '' then redis.call('ZADD', P .. ':inst:' .. inst, nowMs, id) end
if deliveryId ~= '' then redis.call('SET', P .. ':delivery:' .. deliveryId, id, 'EX', ARGV[12]) end
return {'created', id, old or '', oldState}
`;

/** ARGV: prefix, key, reason, nowIso, outcomeJson. Returns {id, state before} or {}. */
export const CANCEL = `${PRELUDE}
local id, state = cancelActive(ARGV[2], ARGV[3], ARGV[4], ARGV[5])
if not id then return {} end
return {id, state}
`;

/** ARGV: prefix, id, leaseToken, nowMs, nowIso. */
export const CLAIM = `${PRELUDE}
local id, token, nowMs, nowIso = ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5]
local r = rk(id)
if redis.call('EXISTS', r) == 0 then return {'missing'} end
local state = redis.call('HGET', r, 'state')
if state ~= 'queued' and state ~= 'running' then return {'skip', state} end
if redis.call('HGET', r, 'cancelRequested') == '1' then
  redis.call('HSET', r, 'lease', token)
  return {'cancel', redis.call('HGET', r, 'cancelReason') or 'the job was stopped'}
end
local key = redis.call('HGET', r, 'key')
local holder = redis.call('GET', P .. ':running:' .. key)
if holder and holder ~= id and redis.call('HGET', rk(holder), 'state') == 'running' then return {'busy'} end
local runAfter = tonumber(redis.call('HGET', r, 'runAfterMs') or '0')
if state == 'queued' and runAfter > nowMs then return {'later', tostring(runAfter)} end
redis.call('SET', P .. ':running:' .. key, id)
setState(id, 'running')
redis.call('HINCRBY', r, 'claims', 1)
redis.call('HSET', r, 'lease', token, 'updatedAt', nowIso)
return {'claimed'}
`;

/** ARGV: prefix, id, leaseToken, nowIso, then field, value pairs (none: a check). -1 lease lost, 1 cancel asked, 0 ok. */
export const SAVE = `${PRELUDE}
local r = rk(ARGV[2])
if redis.call('HGET', r, 'lease') ~= ARGV[3] then return -1 end
for i = 5, #ARGV - 1, 2 do redis.call('HSET', r, ARGV[i], ARGV[i + 1], 'updatedAt', ARGV[4]) end
if redis.call('HGET', r, 'cancelRequested') == '1' then return 1 end
return 0
`;

/**
 * ARGV: prefix, id, leaseToken, nowIso, state, outcomeJson|'', failures, errorJson|'', cancelReason|'', runAfterMs.
 * Returns 0 lease lost, 1 written, 2 "cancel asked: settle it cancelled instead of queued".
 */
export const FINISH = `${PRELUDE}
local id = ARGV[2]
local r = rk(id)
-- '*' is the forced form, used when BullMQ itself gave up on the job and no run holds a lease anymore.
if ARGV[3] ~= '*' and redis.call('HGET', r, 'lease') ~= ARGV[3] then return 0 end
local state = ARGV[5]
if state == 'queued' and redis.call('HGET', r, 'cancelRequested') == '1' then return 2 end
local key = redis.call('HGET', r, 'key')
redis.call('HDEL', r, 'lease')
setState(id, state)
redis.call('HSET', r, 'failures', ARGV[7], 'updatedAt', ARGV[4])
if ARGV[6] ~= '' then redis.call('HSET', r, 'outcome', ARGV[6]) end
if ARGV[8] ~= '' then redis.call('HSET', r, 'error', ARGV[8]) end
if ARGV[9] ~= '' then redis.call('HSET', r, 'cancelReason', ARGV[9]) end
if state == 'queued' then
  redis.call('HSET', r, 'runAfterMs', ARGV[10])
else
  redis.call('HSET', r, 'finishedAt', ARGV[4])
  if redis.call('GET', P .. ':active:' .. key) == id then redis.call('DEL', P .. ':active:' .. key) end
end
if redis.call('GET', P .. ':running:' .. key) == id then redis.call('DEL', P .. ':running:' .. key) end
return 1
`;

/**
 * ARGV: prefix, beforeIso, scanPerState. Deletes ended jobs whose finishedAt is before beforeIso, looking at the
 * oldest `scanPerState` jobs of each ended state (bounded work per call). Returns the deleted ids.
 */
export const PRUNE = `${PRELUDE}
local removed = {}
for _, state in ipairs({'succeeded', 'failed', 'cancelled'}) do
  local ids = redis.call('ZRANGE', P .. ':state:' .. state, 0, tonumber(ARGV[3]) - 1)
  for _, id in ipairs(ids) do
    local r = rk(id)
    local f = redis.call('HMGET', r, 'finishedAt', 'key', 'repo', 'installationId')
    if f[1] and f[1] < ARGV[2] then
      redis.call('DEL', r)
      redis.call('ZREM', P .. ':state:' .. state, id)
      redis.call('ZREM', P .. ':all', id)
      redis.call('ZREM', P .. ':created', id)
      if f[2] then redis.call('ZREM', P .. ':bykey:' .. f[2], id) end
      if f[3] then redis.call('ZREM', P .. ':repo:' .. f[3], id) end
      if f[4] and f[4] ~= '' then redis.call('ZREM', P .. ':inst:' .. f[4], id) end
      table.insert(removed, id)
    end
  end
end
return removed
`;
