/**
 * The one Lua script behind every operation of the Redis store. Redis runs a script
 * atomically, so each operation reads, decides and writes in one step on the server:
 * no client ever reads a value and writes it back.
 *
 * Call shape: `EVALSHA sha 1 <prefix>leases <operation> <prefix> <settings JSON> <input JSON>`.
 * KEYS[1] routes the call in a Redis Cluster; every other key the script touches is built
 * from the same prefix and so carries the same `{hash tag}`, which keeps it in the same slot.
 *
 * Numbers cross the boundary as JSON in (cjson parses them exactly) and as strings out
 * (`%.17g`, which round-trips a double; cjson's own encoder keeps only 14 digits).
 *
 * Keys (P = prefix):
 * - `P bucket:<id>`     hash: scope kind window source limit remaining resetAt inFlight updatedAt holdUntil
 * - `P block:<scope>`   hash: scope state until reason since
 * - `P failures:<scope>` integer: consecutive failures
 * - `P lease:<id>`      hash: bucket id → units held
 * - `P leases`          sorted set: lease id scored by its expiry (finds lapsed leases)
 * - `P buckets`, `P blocks`, `P failure-scopes`: sets indexing the keys above for snapshot
 *   and reset; members whose key has expired are pruned when those operations meet them.
 */
export const rateLimitScript = `
local operation = ARGV[1]
local prefix = ARGV[2]
local settings = cjson.decode(ARGV[3])
local input = cjson.decode(ARGV[4])
local margin = settings.keyMarginMs
local idle = settings.idleTtlMs

local bucketIndex = prefix .. 'buckets'
local blockIndex = prefix .. 'blocks'
local failureIndex = prefix .. 'failure-scopes'
local leaseIndex = prefix .. 'leases'

local function bucketKey(id) return prefix .. 'bucket:' .. id end
local function blockKey(scope) return prefix .. 'block:' .. scope end
local function failureKey(scope) return prefix .. 'failures:' .. scope end
local function leaseKey(id) return prefix .. 'lease:' .. id end

-- A JSON null decodes to cjson.null, which is not nil: treat it as absent.
local function present(value)
  if value == nil or value == cjson.null then return nil end
  return value
end

local function format(number) return string.format('%.17g', number) end

-- A key's time to live: never below one second, even for a moment already past.
local function ttl(milliseconds) return math.max(1000, math.ceil(milliseconds)) end

local function hashOf(key)
  local flat = redis.call('HGETALL', key)
  if #flat == 0 then return nil end
  local fields = {}
  for index = 1, #flat, 2 do fields[flat[index]] = flat[index + 1] end
  return fields
end

local function loadBucket(id)
  local fields = hashOf(bucketKey(id))
  if not fields then return nil end
  return {
    id = id,
    scope = fields.scope,
    kind = fields.kind,
    window = fields.window,
    source = fields.source,
    limit = tonumber(fields.limit),
    remaining = tonumber(fields.remaining),
    resetAt = tonumber(fields.resetAt),
    inFlight = tonumber(fields.inFlight) or 0,
    updatedAt = tonumber(fields.updatedAt) or 0,
    holdUntil = tonumber(fields.holdUntil),
  }
end

-- A bucket lives until its window resets (or its last lease lapses) plus the margin;
-- one with no window (concurrency, unknown reset) lives idleTtlMs after its last change.
local function bucketTtl(state, now)
  local hold = state.holdUntil and (state.holdUntil - now + margin) or 0
  if state.resetAt == nil then return ttl(math.max(idle, hold)) end
  return ttl(math.max(state.resetAt - now + margin, hold))
end

local function saveBucket(state, now)
  local key = bucketKey(state.id)
  local fields = {
    'scope', state.scope, 'kind', state.kind, 'window', state.window, 'source', state.source,
    'inFlight', format(state.inFlight), 'updatedAt', format(state.updatedAt),
  }
  local absent = {}
  for _, name in ipairs({ 'limit', 'remaining', 'resetAt', 'holdUntil' }) do
    if state[name] ~= nil then
      table.insert(fields, name)
      table.insert(fields, format(state[name]))
    else
      table.insert(absent, name)
    end
  end
  redis.call('HSET', key, unpack(fields))
  if #absent > 0 then redis.call('HDEL', key, unpack(absent)) end
  redis.call('PEXPIRE', key, bucketTtl(state, now))
  redis.call('SADD', bucketIndex, state.id)
end

local function encodeBucket(state)
  local out = {
    id = state.id, scope = state.scope, kind = state.kind, window = state.window, source = state.source,
    inFlight = format(state.inFlight), updatedAt = format(state.updatedAt),
  }
  if state.limit ~= nil then out.limit = format(state.limit) end
  if state.remaining ~= nil then out.remaining = format(state.remaining) end
  if state.resetAt ~= nil then out.resetAt = format(state.resetAt) end
  return out
end

local function loadBlock(scope)
  local fields = hashOf(blockKey(scope))
  if not fields then return nil end
  return {
    scope = scope,
    state = fields.state,
    ends = tonumber(fields['until']) or 0,
    reason = fields.reason or '',
    since = tonumber(fields.since) or 0,
  }
end

local function halfOpen(block) return block.state == 'circuit-open' or block.state == 'probing' end

-- A block lives until it ends plus the margin; a half-open circuit waits for its probe
-- for idleTtlMs beyond its end.
local function saveBlock(block, now)
  local key = blockKey(block.scope)
  redis.call('HSET', key, 'scope', block.scope, 'state', block.state, 'until', format(block.ends),
    'reason', block.reason, 'since', format(block.since))
  local extra = halfOpen(block) and idle or margin
  redis.call('PEXPIRE', key, ttl(block.ends - now + extra))
  redis.call('SADD', blockIndex, block.scope)
end

local function deleteBlock(scope)
  redis.call('DEL', blockKey(scope))
  redis.call('SREM', blockIndex, scope)
end

local function encodeBlock(block)
  return {
    scope = block.scope, state = block.state, ['until'] = format(block.ends),
    reason = block.reason, since = format(block.since),
  }
end

-- Gives back what a lease holds in flight and forgets it.
local function releaseLease(leaseId)
  local key = leaseKey(leaseId)
  local holdings = hashOf(key) or {}
  redis.call('DEL', key)
  redis.call('ZREM', leaseIndex, leaseId)
  for id, units in pairs(holdings) do
    local bucket = bucketKey(id)
    local inFlight = tonumber(redis.call('HGET', bucket, 'inFlight'))
    if inFlight ~= nil then
      redis.call('HSET', bucket, 'inFlight', format(math.max(0, inFlight - tonumber(units))))
    end
  end
  return holdings
end

-- Leases that lapsed at or before now (a crashed process) give back their units.
local function expireLeases(now)
  local lapsed = redis.call('ZRANGEBYSCORE', leaseIndex, '-inf', format(now))
  for _, leaseId in ipairs(lapsed) do releaseLease(leaseId) end
end

local function newBucket(key, now)
  return {
    id = key.id, scope = key.scope, kind = key.kind, window = key.window, source = key.source,
    inFlight = 0, updatedAt = now,
  }
end

-- Finds or creates the bucket for a demand, refilled and resized as the demand says.
local function prepareBucket(state, demand, now)
  local limit = present(demand.limit)
  local nextResetAt = present(demand.nextResetAt)
  if state == nil then
    state = newBucket(demand, now)
    state.limit = limit
    state.remaining = limit
    if limit ~= nil and demand.kind ~= 'concurrency' then state.resetAt = nextResetAt end
    return state
  end
  if state.resetAt ~= nil and state.resetAt <= now then
    state.remaining = state.limit
    if state.limit ~= nil then state.resetAt = nextResetAt else state.resetAt = nil end
    state.updatedAt = now
  end
  if limit ~= nil and limit ~= state.limit then
    local previous = state.limit
    state.limit = limit
    if state.kind ~= 'concurrency' then
      if state.remaining == nil or previous == nil then
        state.remaining = limit
      else
        state.remaining = math.max(0, state.remaining + limit - previous)
      end
      if state.resetAt == nil then state.resetAt = nextResetAt end
    end
    state.updatedAt = now
  end
  return state
end

local function admits(state, cost)
  if state.kind == 'concurrency' then return state.limit == nil or state.inFlight + cost <= state.limit end
  return state.remaining == nil or state.remaining >= cost
end

local function apply(observation, now)
  local state = loadBucket(observation.id) or newBucket(observation, now)
  local limit = present(observation.limit)
  local remaining = present(observation.remaining)
  local resetAt = present(observation.resetAt)
  if limit ~= nil then state.limit = limit end
  if remaining ~= nil then state.remaining = math.max(0, remaining - state.inFlight) end
  if resetAt ~= nil then state.resetAt = resetAt end
  state.updatedAt = now
  saveBucket(state, now)
end

local function startsWith(text, head) return string.sub(text, 1, #head) == head end

local operations = {}

function operations.acquire()
  local now = input.now
  expireLeases(now)
  local probe = nil
  for _, scope in ipairs(input.blockScopes) do
    local block = loadBlock(scope)
    if block then
      if block.ends > now then return cjson.encode({ blocked = encodeBlock(block) }) end
      if halfOpen(block) then
        if probe == nil then probe = block end
      else
        deleteBlock(scope)
      end
    end
  end
  local prepared = {}
  local order = {}
  for _, demand in ipairs(input.buckets) do
    local known = prepared[demand.id]
    if known == nil then
      known = loadBucket(demand.id)
      table.insert(order, demand.id)
    end
    local state = prepareBucket(known, demand, now)
    prepared[demand.id] = state
    if not admits(state, demand.cost) then
      -- Creating, refilling and resizing stand even when the attempt is refused.
      for _, id in ipairs(order) do saveBucket(prepared[id], now) end
      return cjson.encode({ bucket = encodeBucket(state), cost = format(demand.cost) })
    end
  end
  if probe then
    saveBlock({ scope = probe.scope, state = 'probing', ends = input.probeUntil, reason = probe.reason, since = now }, now)
  end
  local holdings = {}
  local held = {}
  for _, demand in ipairs(input.buckets) do
    local state = prepared[demand.id]
    if state.kind ~= 'concurrency' and state.remaining ~= nil then state.remaining = state.remaining - demand.cost end
    state.inFlight = state.inFlight + demand.cost
    state.updatedAt = now
    if holdings[demand.id] == nil then
      holdings[demand.id] = 0
      table.insert(held, demand.id)
    end
    holdings[demand.id] = holdings[demand.id] + demand.cost
  end
  for _, id in ipairs(order) do
    local state = prepared[id]
    if holdings[id] ~= nil and (state.holdUntil == nil or state.holdUntil < input.leaseExpiresAt) then
      state.holdUntil = input.leaseExpiresAt
    end
    saveBucket(state, now)
  end
  if #held > 0 then
    local key = leaseKey(input.leaseId)
    for _, id in ipairs(held) do redis.call('HINCRBYFLOAT', key, id, format(holdings[id])) end
    redis.call('PEXPIRE', key, ttl(input.leaseExpiresAt - now + margin))
    redis.call('ZADD', leaseIndex, format(input.leaseExpiresAt), input.leaseId)
  end
  return cjson.encode({ ok = true, probe = probe ~= nil })
end

function operations.settle()
  local now = input.now
  local holdings = releaseLease(input.leaseId)
  -- Leases that have lapsed no longer hold anything an observation should subtract.
  expireLeases(now)
  for _, settled in ipairs(input.buckets) do
    local observed = present(settled.observed)
    local state = loadBucket(settled.id)
    if state == nil then
      if observed then apply(observed, now) end
    elseif observed and present(observed.remaining) ~= nil then
      apply(observed, now)
    else
      if observed then
        apply(observed, now)
        state = loadBucket(settled.id)
      end
      local used = present(settled.used)
      if holdings[settled.id] ~= nil and used ~= nil and state.kind ~= 'concurrency' and state.remaining ~= nil then
        local refund = settled.reserved - used
        local ceiling = state.limit or math.huge
        state.remaining = math.max(0, math.min(ceiling, state.remaining + refund))
        state.updatedAt = now
        saveBucket(state, now)
      end
    end
  end
  for _, scope in ipairs(input.clearFailures or {}) do
    redis.call('DEL', failureKey(scope))
    redis.call('SREM', failureIndex, scope)
  end
  return cjson.encode({ ok = true })
end

function operations.observe()
  local now = input.now
  expireLeases(now)
  for _, observation in ipairs(input.observations) do apply(observation, now) end
  return cjson.encode({ ok = true })
end

function operations.block()
  local now = input.now
  local existing = loadBlock(input.scope)
  local mode = present(input.mode) or 'extend'
  if mode == 'extend' and existing ~= nil and existing.ends > input['until'] then
    return cjson.encode({ ok = true })
  end
  saveBlock({ scope = input.scope, state = input.state, ends = input['until'], reason = input.reason, since = now }, now)
  return cjson.encode({ ok = true })
end

function operations.unblock()
  for _, scope in ipairs(input.scopes) do deleteBlock(scope) end
  return cjson.encode({ ok = true })
end

function operations.recordFailure()
  local key = failureKey(input.scope)
  local count = redis.call('INCR', key)
  redis.call('PEXPIRE', key, ttl(settings.failureTtlMs))
  redis.call('SADD', failureIndex, input.scope)
  return cjson.encode({ count = format(count) })
end

function operations.clearFailures()
  redis.call('DEL', failureKey(input.scope))
  redis.call('SREM', failureIndex, input.scope)
  return cjson.encode({ ok = true })
end

function operations.snapshot()
  local now = input.now
  expireLeases(now)
  local ids = redis.call('SMEMBERS', bucketIndex)
  table.sort(ids)
  local buckets = {}
  for _, id in ipairs(ids) do
    local state = loadBucket(id)
    if state == nil then
      redis.call('SREM', bucketIndex, id)
    else
      -- Shown as an acquire would find it: a window that has passed is refilled.
      if state.resetAt ~= nil and state.resetAt <= now then
        state.remaining = state.limit
        state.resetAt = nil
      end
      table.insert(buckets, encodeBucket(state))
    end
  end
  local scopes = redis.call('SMEMBERS', blockIndex)
  table.sort(scopes)
  local blocks = {}
  for _, scope in ipairs(scopes) do
    local block = loadBlock(scope)
    if block == nil then
      redis.call('SREM', blockIndex, scope)
    elseif block.ends > now or halfOpen(block) then
      table.insert(blocks, encodeBlock(block))
    end
  end
  return cjson.encode({ buckets = buckets, blocks = blocks })
end

function operations.reset()
  local head = present(input.scopePrefix) or ''
  for _, id in ipairs(redis.call('SMEMBERS', bucketIndex)) do
    local state = loadBucket(id)
    if state == nil then
      redis.call('SREM', bucketIndex, id)
    elseif startsWith(state.scope, head) then
      if state.inFlight == 0 then
        redis.call('DEL', bucketKey(id))
        redis.call('SREM', bucketIndex, id)
      else
        -- Leases in flight are kept: the bucket stays, refilled, until they settle. Its
        -- time to live already covers those leases.
        local key = bucketKey(id)
        if state.limit ~= nil then
          redis.call('HSET', key, 'remaining', format(state.limit))
        else
          redis.call('HDEL', key, 'remaining')
        end
        redis.call('HDEL', key, 'resetAt')
      end
    end
  end
  for _, scope in ipairs(redis.call('SMEMBERS', blockIndex)) do
    if startsWith(scope, head) then deleteBlock(scope) end
  end
  for _, scope in ipairs(redis.call('SMEMBERS', failureIndex)) do
    if startsWith(scope, head) or redis.call('EXISTS', failureKey(scope)) == 0 then
      redis.call('DEL', failureKey(scope))
      redis.call('SREM', failureIndex, scope)
    end
  end
  return cjson.encode({ ok = true })
end

local run = operations[operation]
if run == nil then return redis.error_reply('429chain: unknown operation ' .. tostring(operation)) end
return run()
`;
