-- Counts a failed login towards an account's lockout (the same rules as lockout.rs).
-- KEYS[1] the lockout counter; ARGV[1] failures that lock, ARGV[2] the window and ARGV[3] the
-- lock's length, in ms. Answers 1 when the account was already locked, else 0.
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local max, window, lock = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local h = redis.call('HMGET', KEYS[1], 'n', 'w', 'u')
local locked_until = tonumber(h[3])
if locked_until and locked_until > now then
  return 1
end
local count, first = tonumber(h[1]) or 0, tonumber(h[2])
if not first or now - first >= window then
  count, first = 0, now
end
count = count + 1
redis.call('HSET', KEYS[1], 'n', count, 'w', first)
local expires = first + window
if count >= max then
  redis.call('HSET', KEYS[1], 'u', now + lock)
  expires = math.max(expires, now + lock)
else
  redis.call('HDEL', KEYS[1], 'u')
end
redis.call('PEXPIRE', KEYS[1], math.max(expires - now, 1))
return 0
