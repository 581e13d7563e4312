/**
 * Lua scripts of the Redis budget store. Each runs atomically in Redis; `now` is always an
 * argument (deterministic scripts); amounts are integer nano-USD strings passed straight to
 * `HINCRBY` (never `INCRBYFLOAT`), compared as Lua numbers only below 2^53.
 *
 * Keys (all under one hash tag, so Redis Cluster keeps them in one slot):
 *   {P}:leases   zset  reservation id → lease deadline (epoch ms)
 *   {P}:res      hash  reservation id → JSON { c: [{ k, key, a?, e?, t? }] }
 *   {P}:done     zset  finished/cancelled ids → until when to remember them
 *   {P}:usd:…    hash  s (spent), r (reserved), t<level> (threshold reported)
 *   {P}:rpm:…    zset  id → admitted at
 *   {P}:tpm:…    zset  id → admitted at; …:tok hash id → tokens, '#' → window sum
 *   {P}:par:…    zset  id → admitted at (members leave on finish or lease expiry)
 */

const COMMON = `
local WINDOW = 60000
local leases, resv, done = KEYS[1], KEYS[2], KEYS[3]

local function prune(key, kind, now)
  local cutoff = now - WINDOW
  if kind == 'tpm' then
    local old = redis.call('ZRANGEBYSCORE', key, '-inf', cutoff)
    if #old > 0 then
      local tok = key .. ':tok'
      for _, m in ipairs(old) do
        local t = redis.call('HGET', tok, m)
        if t then
          redis.call('HINCRBY', tok, '#', -tonumber(t))
          redis.call('HDEL', tok, m)
        end
      end
    end
  end
  redis.call('ZREMRANGEBYSCORE', key, '-inf', cutoff)
end

-- Books or frees a held reservation. mode: settle | estimate | release.
local function finish(id, mode, amount, tokens, crossed)
  local raw = redis.call('HGET', resv, id)
  if not raw then return false end
  local rec = cjson.decode(raw)
  for _, c in ipairs(rec.c) do
    local key = c.key
    if c.k == 'usd' then
      if c.a ~= '0' then redis.call('HINCRBY', key, 'r', '-' .. c.a) end
      if mode ~= 'release' then
        local add = c.a
        if mode == 'settle' then add = amount end
        if add ~= '0' then redis.call('HINCRBY', key, 's', add) end
        if crossed then
          local spent = redis.call('HGET', key, 's') or '0'
          for _, t in ipairs(c.t) do
            if tonumber(spent) >= tonumber(t) and redis.call('HSETNX', key, 't' .. t, '1') == 1 then
              table.insert(crossed, key)
              table.insert(crossed, t)
              table.insert(crossed, spent)
            end
          end
        end
      end
      if c.e ~= '0' then redis.call('PEXPIREAT', key, c.e) end
    elseif c.k == 'par' then
      redis.call('ZREM', key, id)
    elseif c.k == 'rpm' then
      if mode == 'release' then redis.call('ZREM', key, id) end
    elseif c.k == 'tpm' then
      local tok = key .. ':tok'
      local old = redis.call('HGET', tok, id)
      if old then
        if mode == 'release' then
          redis.call('HINCRBY', tok, '#', -tonumber(old))
          redis.call('HDEL', tok, id)
          redis.call('ZREM', key, id)
        elseif mode == 'settle' then
          redis.call('HINCRBY', tok, '#', tokens - tonumber(old))
          redis.call('HSET', tok, id, tokens)
        end
      end
    end
  end
  redis.call('HDEL', resv, id)
  redis.call('ZREM', leases, id)
  return true
end

-- Expired leases (crashed processes) are booked at their estimate: fail closed.
local function sweep(now)
  redis.call('ZREMRANGEBYSCORE', done, '-inf', now)
  local expired = redis.call('ZRANGEBYSCORE', leases, '-inf', now, 'LIMIT', 0, 100)
  for _, rid in ipairs(expired) do
    if not finish(rid, 'estimate', '0', 0, nil) then redis.call('ZREM', leases, rid) end
  end
end
`;

/**
 * KEYS: leases, res, done, counter keys…  ARGV: now, id, leaseUntil, JSON specs (index-aligned with
 * the counter keys): { k: usd|rpm|tpm|par, l: limit, a?: amount, e?: expireAt ('0' = none), t?: [levels], n?: tokens }.
 * Returns { 'ok' } | { 'cancelled' } | { 'refused', index, spent, reserved, retryAfterMs, … }.
 */
export const RESERVE_SCRIPT = `${COMMON}
local now = tonumber(ARGV[1])
local id = ARGV[2]
sweep(now)
if redis.call('ZSCORE', done, id) then return { 'cancelled' } end
if redis.call('HEXISTS', resv, id) == 1 then return { 'ok' } end
local specs = cjson.decode(ARGV[4])
local refused = {}
for i, c in ipairs(specs) do
  local key = KEYS[3 + i]
  local limit = tonumber(c.l)
  if c.k == 'usd' then
    local v = redis.call('HMGET', key, 's', 'r')
    local spent = v[1] or '0'
    local reserved = v[2] or '0'
    if tonumber(c.a) > limit - tonumber(spent) - tonumber(reserved) then
      table.insert(refused, tostring(i - 1))
      table.insert(refused, spent)
      table.insert(refused, reserved)
      table.insert(refused, '')
    end
  elseif c.k == 'rpm' or c.k == 'tpm' then
    prune(key, c.k, now)
    local used, need
    if c.k == 'rpm' then
      used = redis.call('ZCARD', key)
      need = 1
    else
      used = tonumber(redis.call('HGET', key .. ':tok', '#') or '0')
      need = tonumber(c.n)
    end
    if used + need > limit then
      local after = ''
      if c.k == 'rpm' then
        local rank = used + need - limit - 1
        local e = redis.call('ZRANGE', key, rank, rank, 'WITHSCORES')
        if e[2] then after = tostring(math.max(1, tonumber(e[2]) + WINDOW - now)) end
      elseif need <= limit then
        local entries = redis.call('ZRANGE', key, 0, -1, 'WITHSCORES')
        local left = used
        for j = 1, #entries, 2 do
          left = left - tonumber(redis.call('HGET', key .. ':tok', entries[j]) or '0')
          if left + need <= limit then
            after = tostring(math.max(1, tonumber(entries[j + 1]) + WINDOW - now))
            break
          end
        end
      end
      table.insert(refused, tostring(i - 1))
      table.insert(refused, '')
      table.insert(refused, '')
      table.insert(refused, after)
    end
  elseif c.k == 'par' then
    if redis.call('ZCARD', key) + 1 > limit then
      table.insert(refused, tostring(i - 1))
      table.insert(refused, '')
      table.insert(refused, '')
      table.insert(refused, '')
    end
  end
end
if #refused > 0 then
  table.insert(refused, 1, 'refused')
  return refused
end
local rec = {}
for i, c in ipairs(specs) do
  local key = KEYS[3 + i]
  if c.k == 'usd' then
    if c.a ~= '0' then redis.call('HINCRBY', key, 'r', c.a) else redis.call('HSETNX', key, 'r', '0') end
    if c.e ~= '0' then redis.call('PEXPIREAT', key, c.e) end
    table.insert(rec, { k = 'usd', key = key, a = c.a, e = c.e, t = c.t })
  else
    redis.call('ZADD', key, ARGV[1], id)
    if c.k == 'tpm' then
      local tok = key .. ':tok'
      redis.call('HSET', tok, id, c.n)
      redis.call('HINCRBY', tok, '#', c.n)
      redis.call('PEXPIRE', tok, 2 * WINDOW)
    end
    if c.k ~= 'par' then redis.call('PEXPIRE', key, 2 * WINDOW) end
    table.insert(rec, { k = c.k, key = key })
  end
end
redis.call('HSET', resv, id, cjson.encode({ c = rec }))
redis.call('ZADD', leases, ARGV[3], id)
return { 'ok' }
`;

/**
 * KEYS: leases, res, done.  ARGV: now, id, mode, amount, tokens, rememberUntil.
 * Idempotent: an unknown id (already finished, expired, or never reserved) changes nothing but is
 * remembered until `rememberUntil`, so a reserve of that id arriving late is cancelled.
 * Returns { 'applied', key, level, spent, … } | { 'unknown' }.
 */
export const FINISH_SCRIPT = `${COMMON}
local now = tonumber(ARGV[1])
sweep(now)
local crossed = { 'applied' }
if finish(ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5]), crossed) then
  redis.call('ZADD', done, ARGV[6], ARGV[2])
  return crossed
end
redis.call('ZADD', done, ARGV[6], ARGV[2])
return { 'unknown' }
`;

/** KEYS: leases.  ARGV: leaseUntil, ids… — pushes the deadline of held reservations (never shortens it). */
export const RENEW_SCRIPT = `
local until_ = tonumber(ARGV[1])
for i = 2, #ARGV do
  local s = redis.call('ZSCORE', KEYS[1], ARGV[i])
  if s and tonumber(s) < until_ then redis.call('ZADD', KEYS[1], ARGV[1], ARGV[i]) end
end
return #ARGV - 1
`;

/** KEYS: usd counter keys. Returns { spent, reserved, … } as strings. */
export const READ_SCRIPT = `
local out = {}
for i = 1, #KEYS do
  local v = redis.call('HMGET', KEYS[i], 's', 'r')
  table.insert(out, v[1] or '0')
  table.insert(out, v[2] or '0')
end
return out
`;

/**
 * Spend recorded without a reservation (a request admitted while the store was unreachable and
 * the store fails open). KEYS: done, usd keys…  ARGV: id, amount, rememberUntil, expireAt per key.
 * Idempotent by id. Returns 1 when applied, 0 when already recorded.
 */
export const RECORD_SCRIPT = `
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end
for i = 2, #KEYS do
  if ARGV[2] ~= '0' then redis.call('HINCRBY', KEYS[i], 's', ARGV[2]) end
  local e = ARGV[3 + i - 1]
  if e and e ~= '0' then redis.call('PEXPIREAT', KEYS[i], e) end
end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
return 1
`;
