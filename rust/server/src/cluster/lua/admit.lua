-- Puts one session online for an account if the hash still is what the node computed the
-- admission from; the multi-device rules themselves run in the node (policy.rs).
-- KEYS[1] the account hash, KEYS[2] its lockout counter; on one Redis (not a Redis Cluster, where
-- they live in other slots) KEYS[3] the node's index, which then gets the session when it is
-- admitted, and KEYS[4] the leases, so that a node whose lease ran out writes nothing under it.
-- ARGV[1] the version the admission was computed from, or "" for "no session online";
-- ARGV[2] the ticket's signing time (Unix s); ARGV[3] "1" to skip the lockout and invalidation
-- checks (a node re-registering a session it holds); ARGV[4] the new session id;
-- ARGV[5] its value without the sequence number; ARGV[6] the session as an index member;
-- ARGV[7] the node's token; ARGV[8..] sessions to take off.
-- Answers {"ok", first_login}, {"locked"}, {"invalid"}, {"lost"} (the node's lease ran out) or
-- {"stale", HGETALL of the hash}.
local t = redis.call('TIME')
local now_ms = t[1] * 1000 + math.floor(t[2] / 1000)
if KEYS[4] then
  local lease = tonumber(redis.call('ZSCORE', KEYS[4], ARGV[7]))
  if not lease or lease < now_ms then
    return {'lost'}
  end
end
if ARGV[3] ~= '1' then
  local locked_until = tonumber(redis.call('HGET', KEYS[2], 'u'))
  if locked_until and locked_until > now_ms then
    return {'locked'}
  end
  local invalid_before = tonumber(redis.call('HGET', KEYS[1], 'x'))
  if invalid_before and tonumber(ARGV[2]) < invalid_before then
    return {'invalid'}
  end
end
local version = redis.call('HGET', KEYS[1], '#') or '0'
local current
if ARGV[1] == '' then
  -- Fast path: the node guessed that nothing is online; true when only bookkeeping fields exist.
  local bookkeeping = redis.call('HEXISTS', KEYS[1], '#') + redis.call('HEXISTS', KEYS[1], 'r')
    + redis.call('HEXISTS', KEYS[1], 'x')
  current = redis.call('HLEN', KEYS[1]) == bookkeeping
else
  current = version == ARGV[1]
end
if not current then
  return {'stale', redis.call('HGETALL', KEYS[1])}
end
for i = 8, #ARGV do
  redis.call('HDEL', KEYS[1], ARGV[i])
end
local next_version = tonumber(version) + 1
redis.call('HSET', KEYS[1], '#', next_version, ARGV[4], next_version .. ' ' .. ARGV[5])
local first = redis.call('HSETNX', KEYS[1], 'r', now_ms)
if ARGV[3] ~= '1' then
  redis.call('DEL', KEYS[2])
end
if KEYS[3] then
  redis.call('SADD', KEYS[3], ARGV[6])
end
return {'ok', first}
