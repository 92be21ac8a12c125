/**
 * The limiter's Lua scripts. Each runs atomically in Redis, which is what makes the limits
 * hold across any number of worker processes. Keys are described at `deploymentKeys`.
 */

/**
 * KEYS: inflight, log, tokens, total, pause, parked
 * ARGV: now, window, lease, jobId, entryId, estimate, rpm, tpm, maxParallel, deadline (0 = no limit)
 * Returns {kind, value[, limit]}: admitted (calls in flight), paused (until), busy, limited (until, rpm|tpm), too_large (tpm).
 */
export const ACQUIRE_SCRIPT = `
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local lease = tonumber(ARGV[3])
local jobId = ARGV[4]
local entryId = ARGV[5]
local estimate = tonumber(ARGV[6])
local rpm = tonumber(ARGV[7])
local tpm = tonumber(ARGV[8])
local maxParallel = tonumber(ARGV[9])
local deadline = tonumber(ARGV[10])

local pausedUntil = tonumber(redis.call('GET', KEYS[5]) or '0')
if pausedUntil > now then return {'paused', tostring(pausedUntil)} end

-- Expired leases belong to workers that died.
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local inflight = redis.call('ZCARD', KEYS[1])
-- This job's own lease is left by an earlier run whose worker died: it is taken over, not counted.
if redis.call('ZSCORE', KEYS[1], jobId) then inflight = inflight - 1 end
if maxParallel > 0 and inflight >= maxParallel then
  redis.call('ZADD', KEYS[6], deadline, jobId)
  local last = redis.call('ZRANGE', KEYS[6], -1, -1, 'WITHSCORES')
  redis.call('PEXPIREAT', KEYS[6], tonumber(last[2]) + 1000)
  return {'busy', '0'}
end

-- Calls older than the window no longer count.
local cutoff = now - window
local old = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', cutoff)
if #old > 0 then
  local freed = 0
  for i = 1, #old do
    freed = freed + tonumber(redis.call('HGET', KEYS[3], old[i]) or '0')
    redis.call('HDEL', KEYS[3], old[i])
  end
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', cutoff)
  redis.call('DECRBY', KEYS[4], freed)
end

local retryAt = 0
local limit = ''
if rpm > 0 then
  local count = redis.call('ZCARD', KEYS[2])
  if count >= rpm then
    -- The call that must leave the window before one more fits.
    local entry = redis.call('ZRANGE', KEYS[2], count - rpm, count - rpm, 'WITHSCORES')
    retryAt = tonumber(entry[2]) + window
    limit = 'rpm'
  end
end
if tpm > 0 then
  if estimate > tpm then return {'too_large', tostring(tpm)} end
  local excess = tonumber(redis.call('GET', KEYS[4]) or '0') + estimate - tpm
  if excess > 0 then
    local entries = redis.call('ZRANGE', KEYS[2], 0, -1, 'WITHSCORES')
    local freed = 0
    for i = 1, #entries, 2 do
      freed = freed + tonumber(redis.call('HGET', KEYS[3], entries[i]) or '0')
      if freed >= excess then
        local at = tonumber(entries[i + 1]) + window
        if at > retryAt then
          retryAt = at
          limit = 'tpm'
        end
        break
      end
    end
  end
end
if retryAt > 0 then return {'limited', tostring(retryAt), limit} end

redis.call('ZADD', KEYS[1], now + lease, jobId)
redis.call('ZADD', KEYS[2], now, entryId)
redis.call('HSET', KEYS[3], entryId, estimate)
redis.call('INCRBY', KEYS[4], estimate)
redis.call('ZREM', KEYS[6], jobId)
for i = 1, 4 do redis.call('PEXPIRE', KEYS[i], window + lease) end
return {'admitted', tostring(inflight + 1)}
`;

/**
 * KEYS: inflight, log, tokens, total, parked
 * ARGV: now, window, lease, jobId, entryId, usedTokens (-1 = unknown: keep the estimate)
 * Returns the parked job to wake, or nil.
 */
export const RELEASE_SCRIPT = `
local now = tonumber(ARGV[1])
local used = tonumber(ARGV[6])
redis.call('ZREM', KEYS[1], ARGV[4])
if used >= 0 then
  local estimate = redis.call('HGET', KEYS[3], ARGV[5])
  if estimate then
    redis.call('HSET', KEYS[3], ARGV[5], used)
    redis.call('INCRBY', KEYS[4], used - tonumber(estimate))
    for i = 2, 4 do redis.call('PEXPIRE', KEYS[i], tonumber(ARGV[2]) + tonumber(ARGV[3])) end
  end
end
redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', now)
local next = redis.call('ZRANGE', KEYS[5], 0, 0)
if #next == 0 then return nil end
redis.call('ZREM', KEYS[5], next[1])
return next[1]
`;

/**
 * KEYS: pause
 * ARGV: now, until
 * Extends the pause to `until` unless it already lasts longer; returns its end.
 */
export const PAUSE_SCRIPT = `
local now = tonumber(ARGV[1])
local untilMs = tonumber(ARGV[2])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if untilMs > current and untilMs > now then
  redis.call('SET', KEYS[1], tostring(untilMs), 'PX', untilMs - now)
  return untilMs
end
return current
`;
