import { createHash } from 'node:crypto';

/**
 * The Lua scripts, each atomic on one Redis node. Per-key scripts take the four keys of
 * {@link KeyLayout.all} (value V, lease L, waiters W, generation G), which share a hash tag, so they run
 * unchanged on Redis Cluster.
 */
export interface LuaScript {
  readonly name: string;
  readonly lua: string;
  readonly sha: string;
}

function script(name: string, lua: string): LuaScript {
  return { name, lua, sha: createHash('sha1').update(lua).digest('hex') };
}

/**
 * Reads the value and tries to take the lease in one round trip.
 * KEYS: V L W G [tags hash]   ARGV: token, leaseMillis
 * Returns {granted 0|1, generation, tagEpoch, value|nil, leaseRemainingMillis}.
 * A caller that does not get the lease raises the waiters flag so the holder knows to publish a wake-up.
 */
export const ACQUIRE = script(
  'acquire',
  `local v = redis.call('GET', KEYS[1])
local g = redis.call('GET', KEYS[4]) or ''
local e = 0
if #KEYS > 4 then e = tonumber(redis.call('HGET', KEYS[5], '~e') or '0') end
if redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return {1, g, e, v or false, 0}
end
redis.call('SET', KEYS[3], '1', 'PX', ARGV[2])
return {0, g, e, v or false, redis.call('PTTL', KEYS[2])}`,
);

/**
 * Compare-and-set write-back: stores the value only if the key's generation is still the one read when the
 * load began, so any invalidation that happened during the load wins (no stale set). Releases the lease if
 * it is still ours and wakes waiters.
 * KEYS: V L W G   ARGV: token ('' when loading without a lease), generation, envelope, ttlMillis, channel, wakeMessage
 * Returns 1 when stored, 0 when rejected.
 */
export const COMMIT = script(
  'commit',
  `local mine = ARGV[1] ~= '' and redis.call('GET', KEYS[2]) == ARGV[1]
local stored = 0
if (redis.call('GET', KEYS[4]) or '') == ARGV[2] then
  redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4])
  stored = 1
end
if mine then
  redis.call('DEL', KEYS[2])
  if redis.call('DEL', KEYS[3]) == 1 then redis.call('PUBLISH', ARGV[5], ARGV[6]) end
end
return stored`,
);

/**
 * Gives a lease back (loader failed, or the value turned out to be fresh already) and wakes waiters.
 * KEYS: L W   ARGV: token, channel, wakeMessage
 */
export const RELEASE = script(
  'release',
  `if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  if redis.call('DEL', KEYS[2]) == 1 then redis.call('PUBLISH', ARGV[2], ARGV[3]) end
  return 1
end
return 0`,
);

/**
 * Heartbeat: extends a lease still held, so a slow but live loader keeps it while a dead one loses it.
 * KEYS: L W   ARGV: token, leaseMillis
 */
export const EXTEND = script(
  'extend',
  `if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('PEXPIRE', KEYS[2], ARGV[2]) end
  return 1
end
return 0`,
);

/**
 * Invalidates or overwrites one key: bumps the generation (so in-flight loads cannot write back), then
 * deletes (mode d), soft-invalidates in place by setting the envelope's flag byte (mode s), or writes a new
 * envelope (mode w); drops the lease so waiters re-acquire at once; publishes the bus message if given.
 * KEYS: V L W G   ARGV: mode, newGeneration, generationTtlMillis, channel, message|'', [envelope, ttlMillis]
 */
export const INVALIDATE = script(
  'invalidate',
  `redis.call('SET', KEYS[4], ARGV[2], 'PX', ARGV[3])
if ARGV[1] == 'd' then
  redis.call('UNLINK', KEYS[1])
elseif ARGV[1] == 's' then
  if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('SETRANGE', KEYS[1], 1, '\\1') end
else
  redis.call('SET', KEYS[1], ARGV[6], 'PX', ARGV[7])
end
redis.call('DEL', KEYS[2], KEYS[3])
if ARGV[5] ~= '' then redis.call('PUBLISH', ARGV[4], ARGV[5]) end
return 1`,
);

/**
 * Tag invalidation with counters instead of clocks: bumps the namespace epoch and records it as the tag's
 * soft version (and hard version for a hard invalidation). An entry is invalid when one of its tags has a
 * version above the epoch the entry was computed under. Publishes the new versions on the bus.
 * KEYS: tags hash   ARGV: hard 0|1, channel, senderId, sentAtMillis, tag...
 */
export const INVALIDATE_TAGS = script(
  'invalidate-tags',
  `local e = redis.call('HINCRBY', KEYS[1], '~e', 1)
local tags = {}
for i = 5, #ARGV do
  redis.call('HSET', KEYS[1], 's:' .. ARGV[i], e)
  if ARGV[1] == '1' then redis.call('HSET', KEYS[1], 'h:' .. ARGV[i], e) end
  tags[#tags + 1] = ARGV[i]
end
redis.call('PUBLISH', ARGV[2], cjson.encode({ARGV[3], 't', tonumber(ARGV[4]), e, tonumber(ARGV[1]), tags}))
return e`,
);
