-- Whether an account is locked out now, by the store's clock (as failure.lua locks it).
-- KEYS[1] the lockout counter. Answers 1 when locked, else 0.
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local locked_until = tonumber(redis.call('HGET', KEYS[1], 'u'))
if locked_until and locked_until > now then
  return 1
end
return 0
