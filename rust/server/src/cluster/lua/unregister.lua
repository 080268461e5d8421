-- Deletes an account's registration. Its invalidation (`x`) stays, so that a kick's tickets are
-- still refused after the account is deleted and imported again; a hash left with nothing but
-- its version goes (the admission's fast path reads a missing hash as nothing online).
-- KEYS[1] the account hash. Answers 1 when the account was registered.
local removed = redis.call('HDEL', KEYS[1], 'r')
if redis.call('HLEN', KEYS[1]) == redis.call('HEXISTS', KEYS[1], '#') then
  redis.call('DEL', KEYS[1])
end
return removed
