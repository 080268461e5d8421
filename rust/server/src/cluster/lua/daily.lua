-- Applies one batch of a node's daily figures of one app, once: a batch sent again (its answer
-- was lost) finds its number already applied and changes nothing.
-- KEYS[1] the app's applied-batches hash (node token -> last number applied); KEYS[2] the app's
-- accounts in all; then per day, three keys: the day's counts hash, its users set, its peaks hash.
-- ARGV[1] the node token; ARGV[2] the batch number; ARGV[3] the keys' time to live in seconds;
-- ARGV[4] the change of the accounts in all; then per day, in the order of its keys: logins,
-- registrations, whether accounts changed (1/0), the node's peak (-1 for none), the number of
-- users N, then the N users.
-- Answers the users of the batch's last day in all (its DAU so far).
local token, number, ttl = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local last = #KEYS - 1
if tonumber(redis.call('HGET', KEYS[1], token) or '0') >= number then
  return redis.call('SCARD', KEYS[last])
end
redis.call('HSET', KEYS[1], token, number)
redis.call('EXPIRE', KEYS[1], ttl)
local total = nil
local a = 5
for k = 3, #KEYS, 3 do
  local counts, users, peaks = KEYS[k], KEYS[k + 1], KEYS[k + 2]
  local logins, registered = tonumber(ARGV[a]), tonumber(ARGV[a + 1])
  local changed, peak, n = ARGV[a + 2] == '1', tonumber(ARGV[a + 3]), tonumber(ARGV[a + 4])
  a = a + 5
  -- Members in chunks: unpack has a limit of a few thousand values.
  for i = a, a + n - 1, 1000 do
    redis.call('SADD', users, unpack(ARGV, i, math.min(i + 999, a + n - 1)))
  end
  if n > 0 then
    redis.call('EXPIRE', users, ttl)
  end
  a = a + n
  if logins > 0 then
    redis.call('HINCRBY', counts, 'l', logins)
  end
  if registered > 0 then
    redis.call('HINCRBY', counts, 'r', registered)
  end
  if changed then
    total = total or redis.call('INCRBY', KEYS[2], ARGV[4])
    redis.call('HSET', counts, 't', total)
  end
  if logins > 0 or registered > 0 or changed then
    redis.call('EXPIRE', counts, ttl)
  end
  if peak >= 0 then
    redis.call('HSET', peaks, token, peak)
    redis.call('EXPIRE', peaks, ttl)
  end
end
return redis.call('SCARD', KEYS[last])
