/**
 * The one Lua script behind every operation of the Redis store. Redis runs a script
 * atomically, so each operation reads, decides and writes in one step on the server:
 * no client ever reads a value and writes it back.
 *
 * It is core's planner (`packages/core/src/rate-limit/store-planner.ts`) and bucket arithmetic
 * (`bucket-arithmetic.ts`) written again in Lua, function by function and under the same names,
 * so that the two read side by side; core's conformance suite holds both to one contract. The
 * table at the top of the script says which TypeScript function each Lua function mirrors.
 *
 * Call shape: `EVALSHA sha 1 <prefix>leases <operation> <prefix> <settings JSON> <input JSON>`.
 * KEYS[1] routes the call in a Redis Cluster; every other key the script touches is built
 * from the same prefix and so carries the same `{hash tag}`, which keeps it in the same slot.
 *
 * Numbers cross the boundary as JSON in (cjson parses them exactly) and as strings out
 * (whole numbers below 2^53 as integers, any other with `%.17g`, which round-trips a double;
 * cjson's own encoder keeps only 14 digits). A sliding window's log is stored packed, 16 bytes
 * an entry (`at` and `units` as little-endian doubles, with Redis's `struct` library), and
 * returned as one flat JSON array, `[at, units, at, units, …]`.
 *
 * Keys (P = prefix):
 * - `P bucket:<id>`      hash: scope kind window source limit remaining resetAt windowMs log
 *                        (packed) runStart learnt inFlight updatedAt, and for TTLs holdUntil spanMs
 * - `P block:<scope>`    hash: scope state until reason since release probeUntil
 * - `P failures:<scope>` hash: count since (the run of consecutive failures)
 * - `P lease:<id>`       hash: `@at` (when it was taken), then bucket id → units held
 * - `P leases`           sorted set: lease id scored by its expiry (finds lapsed leases)
 * - `P buckets`, `P blocks`, `P failure-scopes`: sets indexing the keys above for snapshot
 *   and reset; members whose key has expired are pruned when those operations meet them.
 */
export const rateLimitScript = `
--[[
Lua function            mirrors (TypeScript, packages/core/src/rate-limit/)
----------------------  ---------------------------------------------------------------
emptyBucket             bucket-arithmetic.ts  emptyBucket
isSliding               bucket-arithmetic.ts  isSliding
prepareBucket           bucket-arithmetic.ts  prepareBucket
admits                  bucket-arithmetic.ts  admits
takeUnits               bucket-arithmetic.ts  takeUnits (changes the state in place)
rollTolerance           bucket-arithmetic.ts  rollTolerance
applyObservation        bucket-arithmetic.ts  applyObservation
refundUnits             bucket-arithmetic.ts  refundUnits (in place; says whether it changed)
currentView             bucket-arithmetic.ts  currentView
refusedView             bucket-arithmetic.ts  refusedView
usedInWindow            bucket-arithmetic.ts  usedInWindow
freesAt                 bucket-arithmetic.ts  freesAt
pruneLog                bucket-arithmetic.ts  pruneLog
pushLog                 bucket-arithmetic.ts  pushLog (adds to the log it is given)
takeBack                bucket-arithmetic.ts  takeBack
nextBlock               bucket-arithmetic.ts  nextBlock
operations.acquire      store-planner.ts      planAcquire
operations.settle       store-planner.ts      planSettle
operations.refuse       store-planner.ts      planRefuse
learnLimit              store-planner.ts      learnLimit
anchorOf                store-planner.ts      anchorOf
describesEnd            store-planner.ts      describesEnd
evidenceLabel           store-planner.ts      evidenceLabel
learntOf                store-planner.ts      learntOf (returns the JSON the bucket stores)
formatMs                store-planner.ts      formatMs
operations.observe      store-planner.ts      planObserve
operations.block        store-planner.ts      planBlock
operations.unblock      store-planner.ts      planUnblock
operations.recordFailure store-planner.ts     planRecordFailure
operations.clearFailures store-planner.ts     planClearFailures
operations.view         store-planner.ts      planView
operations.snapshot     store-planner.ts      planSnapshot
operations.reset        store-planner.ts      planReset
isIdle                  store-planner.ts      isIdle
shown                   store-planner.ts      shown
takeLease               store-planner.ts      takeLease
release                 store-planner.ts      release
expireLeases            store-planner.ts      expireLeases
applyOne                store-planner.ts      applyOne
applySettled            store-planner.ts      applySettled
loadBucket, saveBucket, deleteBucket, loadBlock, saveBlock, deleteBlock, loadFailures,
saveFailures, deleteFailures, saveLease: the StoreTables of store-planner.ts, on Redis keys.

Redis only, with no TypeScript counterpart: bucketKey, blockKey, failureKey, leaseKey (key
names), bucketTtl and ttl (a key's time to live), decodeLog, encodeLog, packedFormat, logOf,
lazyLog (the stored form of a log), encodeBucket, encodeBlock and logJson (replies), copyBucket and
copyLog (the copies TypeScript's spreads make), format and jsNumber (numbers as text), round
(Math.round), list (a JSON list, empty included), present (JSON null as absent), hashOf,
startsWith.
]]

local operation = ARGV[1]
local prefix = ARGV[2]
local settings = cjson.decode(ARGV[3])
local input = cjson.decode(ARGV[4])
local margin = settings.keyMarginMs
local idle = settings.idleTtlMs
-- The planner's constants (store-planner.ts, bucket-arithmetic.ts), passed in by the store.
local logCapacity = settings.logCapacity
local idleBucketMs = settings.idleBucketMs
local idleLearntMs = settings.idleLearntMs

local bucketIndex = prefix .. 'buckets'
local blockIndex = prefix .. 'blocks'
local failureIndex = prefix .. 'failure-scopes'
local leaseIndex = prefix .. 'leases'

local function bucketKey(id) return prefix .. 'bucket:' .. id end
local function blockKey(scope) return prefix .. 'block:' .. scope end
local function failureKey(scope) return prefix .. 'failures:' .. scope end
local function leaseKey(id) return prefix .. 'lease:' .. id end

-- The lease hash's field for when it was taken; bucket ids always hold a '|', so it is no bucket.
local leaseAtField = '@at'

-- A JSON null decodes to cjson.null, which is not nil: treat it as absent.
local function present(value)
  if value == nil or value == cjson.null then return nil end
  return value
end

-- Every digit: a whole number below 2^53 as an integer (exact, and cheaper to write than %.17g,
-- which sliding logs would otherwise spend most of a call on), any other with %.17g.
local function format(number)
  if number % 1 == 0 and number > -9007199254740992 and number < 9007199254740992 then
    return string.format('%d', number)
  end
  return string.format('%.17g', number)
end

-- A number as JavaScript's String() writes it (the shortest form that reads back the same), for notes.
local function jsNumber(number)
  if number == math.floor(number) and math.abs(number) < 1e15 then return string.format('%d', number) end
  for digits = 15, 17 do
    local text = string.format('%.' .. digits .. 'g', number)
    if tonumber(text) == number then return text end
  end
  return format(number)
end

-- JavaScript's Math.round.
local function round(number) return math.floor(number + 0.5) end

-- A key's time to live: never below one second, even for a moment already past.
local function ttl(milliseconds) return math.max(1000, math.ceil(milliseconds)) end

local function hashOf(key)
  local flat = redis.call('HGETALL', key)
  if #flat == 0 then return nil end
  local fields = {}
  for index = 1, #flat, 2 do fields[flat[index]] = flat[index + 1] end
  return fields
end

local function startsWith(text, head) return string.sub(text, 1, #head) == head end

-- ---------------------------------------------------------------------------------------
-- Sliding logs: arrays of { at = ms, units = n }, oldest first. Stored packed, two
-- little-endian doubles per entry (at, units), which struct reads and writes exactly in one
-- call each: reading and writing a 64-entry log as text was most of what a call cost.

-- '<dd...' for n entries, built once per length.
local packedFormats = {}
local function packedFormat(count)
  local pattern = packedFormats[count]
  if pattern == nil then
    pattern = '<' .. string.rep('d', 2 * count)
    packedFormats[count] = pattern
  end
  return pattern
end

local function decodeLog(packed)
  local log = {}
  if packed == nil or #packed < 16 then return log end
  local count = math.floor(#packed / 16)
  local values = { struct.unpack(packedFormat(count), packed) }
  for index = 1, count do log[index] = { at = values[2 * index - 1], units = values[2 * index] } end
  return log
end

local function encodeLog(log)
  local flat = {}
  for index, entry in ipairs(log) do
    flat[2 * index - 1] = entry.at
    flat[2 * index] = entry.units
  end
  return struct.pack(packedFormat(#log), unpack(flat))
end

-- A log in a reply, as JSON text with every digit: [at, units, at, units, ...].
local function logJson(log)
  local parts = {}
  for index, entry in ipairs(log) do
    parts[2 * index - 1] = format(entry.at)
    parts[2 * index] = format(entry.units)
  end
  return '[' .. table.concat(parts, ',') .. ']'
end

local function copyLog(log)
  local copy = {}
  for index, entry in ipairs(log) do copy[index] = { at = entry.at, units = entry.units } end
  return copy
end

local function usedInWindow(log, now, windowMs)
  local used = 0
  for _, entry in ipairs(log) do
    if entry.at > now - windowMs then used = used + entry.units end
  end
  return used
end

local function freesAt(log, windowMs, limit, cost, now)
  if cost > limit then return nil end
  local inside = {}
  local used = 0
  for _, entry in ipairs(log) do
    if entry.at > now - windowMs then
      table.insert(inside, entry)
      used = used + entry.units
    end
  end
  if used + cost <= limit then return now end
  for _, entry in ipairs(inside) do
    used = used - entry.units
    if used + cost <= limit then return entry.at + windowMs end
  end
  return now
end

local function pruneLog(log, now, keepMs)
  local first = 1
  while first <= #log and log[first].at <= now - keepMs do first = first + 1 end
  if first == 1 then return log end
  local kept = {}
  for index = first, #log do table.insert(kept, log[index]) end
  return kept
end

-- Past logCapacity entries the two neighbours closest in time merge at the younger one's time.
local function pushLog(log, at, units)
  local index = #log + 1
  while index > 1 and log[index - 1].at > at do index = index - 1 end
  table.insert(log, index, { at = at, units = units })
  while #log > logCapacity do
    local closest = 1
    for position = 2, #log - 1 do
      if log[position + 1].at - log[position].at < log[closest + 1].at - log[closest].at then
        closest = position
      end
    end
    local older = log[closest]
    local younger = log[closest + 1]
    table.remove(log, closest + 1)
    log[closest] = { at = younger.at, units = older.units + younger.units }
  end
  return log
end

local function takeBack(log, at, units)
  local left = units
  local kept = {}
  for _, entry in ipairs(log) do
    local remaining = entry.units
    if left > 0 and entry.at >= at then
      local taken = math.min(remaining, left)
      remaining = remaining - taken
      left = left - taken
    end
    if remaining > 0 then table.insert(kept, { at = entry.at, units = remaining }) end
  end
  return kept
end

-- ---------------------------------------------------------------------------------------
-- Buckets: the StoreTables part, then the arithmetic of one bucket.

-- Every field a bucket hash may hold.
local bucketFields = {
  'scope', 'kind', 'window', 'source', 'inFlight', 'updatedAt', 'limit', 'remaining', 'resetAt',
  'windowMs', 'log', 'runStart', 'learnt', 'holdUntil', 'spanMs', 'resetGuessed',
}

-- A stored log is decoded when something first reads state.log (many operations never do).
local lazyLog = {
  __index = function(state, name)
    if name ~= 'log' then return nil end
    local log = decodeLog(rawget(state, 'packedLog'))
    rawset(state, 'log', log)
    return log
  end,
}

local function loadBucket(id)
  local fields = hashOf(bucketKey(id))
  if not fields then return nil end
  return setmetatable({
    id = id,
    scope = fields.scope,
    kind = fields.kind,
    window = fields.window,
    source = fields.source,
    limit = tonumber(fields.limit),
    remaining = tonumber(fields.remaining),
    resetAt = tonumber(fields.resetAt),
    windowMs = tonumber(fields.windowMs),
    packedLog = fields.log,
    runStart = tonumber(fields.runStart) or 0,
    learnt = fields.learnt,
    inFlight = tonumber(fields.inFlight) or 0,
    updatedAt = tonumber(fields.updatedAt) or 0,
    holdUntil = tonumber(fields.holdUntil),
    spanMs = tonumber(fields.spanMs),
    resetGuessed = fields.resetGuessed == '1' or nil,
    stored = fields,
  }, lazyLog)
end

local function copyBucket(state)
  local copy = {}
  for name, value in pairs(state) do copy[name] = value end
  copy.log = copyLog(state.log)
  copy.packedLog = nil
  return copy
end

local function isSliding(state) return state.windowMs ~= nil and state.kind ~= 'concurrency' end

-- A sliding bucket lives its window (or the history span a demand keeps, when longer) plus the
-- margin after its last admission; a fixed one until its reset plus the margin; one with no end of
-- its own (concurrency, an unknown reset) idleTtlMs after its last change. Never shorter than its
-- leases plus the margin, and a learnt limit at least idleLearntMs after its last use.
local function bucketTtl(state, now)
  local life
  if isSliding(state) then
    local last = #state.log > 0 and state.log[#state.log].at or state.updatedAt
    life = last + math.max(state.windowMs, state.spanMs or 0) - now + margin
  elseif state.resetAt == nil then
    life = idle
  else
    life = state.resetAt - now + margin
  end
  if state.holdUntil ~= nil then life = math.max(life, state.holdUntil - now + margin) end
  if state.learnt ~= nil then life = math.max(life, state.updatedAt + idleLearntMs - now) end
  return ttl(life)
end

-- The log as stored: as it was read when nothing has read (so changed) it since.
local function logOf(state)
  local log = rawget(state, 'log')
  if log == nil then return rawget(state, 'packedLog') end
  if #log == 0 then return nil end
  return encodeLog(log)
end

-- Without a 'now' (a reset, which has no clock), the key keeps its time to live.
local function saveBucket(state, now)
  local key = bucketKey(state.id)
  local values = {
    scope = state.scope,
    kind = state.kind,
    window = state.window,
    source = state.source,
    inFlight = format(state.inFlight),
    updatedAt = format(state.updatedAt),
    limit = state.limit and format(state.limit),
    remaining = state.remaining and format(state.remaining),
    resetAt = state.resetAt and format(state.resetAt),
    windowMs = state.windowMs and format(state.windowMs),
    log = logOf(state),
    runStart = state.runStart ~= 0 and format(state.runStart) or nil,
    learnt = state.learnt,
    holdUntil = state.holdUntil and format(state.holdUntil),
    spanMs = (state.spanMs ~= nil and state.spanMs ~= state.windowMs) and format(state.spanMs) or nil,
    resetGuessed = state.resetGuessed and '1' or nil,
  }
  -- Only what differs from the hash as it was read (or last written) goes to Redis.
  local stored = state.stored or {}
  local changed = {}
  local absent = {}
  for _, name in ipairs(bucketFields) do
    local value = values[name]
    if value ~= nil then
      if stored[name] ~= value then
        table.insert(changed, name)
        table.insert(changed, value)
        stored[name] = value
      end
    elseif stored[name] ~= nil then
      table.insert(absent, name)
      stored[name] = nil
    end
  end
  if #changed > 0 then redis.call('HSET', key, unpack(changed)) end
  if #absent > 0 then redis.call('HDEL', key, unpack(absent)) end
  if now ~= nil then redis.call('PEXPIRE', key, bucketTtl(state, now)) end
  -- A bucket read from Redis is in the index already (members leave it only with their key).
  if state.stored == nil then redis.call('SADD', bucketIndex, state.id) end
  state.stored = stored
end

local function deleteBucket(id)
  redis.call('DEL', bucketKey(id))
  redis.call('SREM', bucketIndex, id)
end

local function encodeBucket(state)
  local out = {
    id = state.id, scope = state.scope, kind = state.kind, window = state.window, source = state.source,
    inFlight = format(state.inFlight), updatedAt = format(state.updatedAt), runStart = format(state.runStart),
  }
  if state.limit ~= nil then out.limit = format(state.limit) end
  if state.remaining ~= nil then out.remaining = format(state.remaining) end
  if state.resetAt ~= nil then out.resetAt = format(state.resetAt) end
  if state.windowMs ~= nil then out.windowMs = format(state.windowMs) end
  if #state.log > 0 then out.log = logJson(state.log) end
  if state.learnt ~= nil then out.learnt = state.learnt end
  if state.resetGuessed then out.resetGuessed = '1' end
  return out
end

local function emptyBucket(key, now)
  return {
    id = key.id, scope = key.scope, kind = key.kind, window = key.window, source = key.source,
    log = {}, runStart = 0, inFlight = 0, updatedAt = now,
  }
end

local function prepareBucket(known, demand, now)
  local limit = present(demand.limit)
  local nextResetAt = present(demand.nextResetAt)
  local windowMs = present(demand.windowMs)
  if known == nil then
    local state = emptyBucket(demand, now)
    state.limit = limit
    if windowMs ~= nil and demand.kind ~= 'concurrency' then
      state.windowMs = windowMs
      state.spanMs = windowMs
      return state
    end
    state.remaining = limit
    if limit ~= nil and demand.kind ~= 'concurrency' then state.resetAt = nextResetAt end
    if state.resetAt ~= nil then state.resetGuessed = true end
    return state
  end
  local state = known
  -- A demand's window applies to what it configures (manual limits, a history's span); a
  -- learnt window stays as it was learnt, and the history only keeps at least the demand's span.
  if windowMs ~= nil and state.kind ~= 'concurrency' and state.learnt == nil then
    if state.windowMs == nil then
      state.remaining = nil
      state.resetAt = nil
    end
    state.windowMs = windowMs
  end
  if isSliding(state) then
    if windowMs ~= nil then state.spanMs = windowMs end
    local keep = math.max(state.windowMs or 0, windowMs or 0)
    state.log = pruneLog(state.log, now, keep)
    if limit ~= nil and limit ~= state.limit then
      state.limit = limit
      state.updatedAt = now
    end
    return state
  end
  if state.resetAt ~= nil and state.resetAt <= now then
    state.remaining = state.limit
    if state.limit ~= nil then state.resetAt = nextResetAt else state.resetAt = nil end
    if state.resetAt ~= nil then state.resetGuessed = true else state.resetGuessed = nil end
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
      if state.resetAt == nil then
        state.resetAt = nextResetAt
        if state.resetAt ~= nil then state.resetGuessed = true end
      end
    end
    state.updatedAt = now
  end
  return state
end

local function admits(state, cost, now)
  if state.kind == 'concurrency' then return state.limit == nil or state.inFlight + cost <= state.limit end
  if isSliding(state) then
    return state.limit == nil or usedInWindow(state.log, now, state.windowMs) + cost <= state.limit
  end
  return state.remaining == nil or state.remaining >= cost
end

local function takeUnits(state, cost, now)
  if isSliding(state) then
    pushLog(state.log, now, cost)
  elseif state.kind ~= 'concurrency' and state.remaining ~= nil then
    state.remaining = state.remaining - cost
  end
  state.inFlight = state.inFlight + cost
  state.updatedAt = now
  return state
end

local function rollTolerance(window)
  if window == 'second' then return 100 end
  return 1000
end

-- Within one window an observed remaining may lower the stored count but never raise it; it
-- replaces it (less what is in flight) once the window has demonstrably rolled over.
local function applyObservation(known, observation, now)
  local state = known or emptyBucket(observation, now)
  local limit = present(observation.limit)
  local remaining = present(observation.remaining)
  local resetAt = present(observation.resetAt)
  local rolledOver = state.remaining == nil
    or state.resetAt == nil
    or state.resetAt <= now
    -- The stored window is the engine's guess: the provider's own count and reset replace it.
    or state.resetGuessed == true
    or (resetAt ~= nil and resetAt > state.resetAt + rollTolerance(state.window))
    or (limit ~= nil and state.limit ~= nil and limit ~= state.limit)
  if limit ~= nil then state.limit = limit end
  if remaining ~= nil then
    local seen = math.max(0, remaining - state.inFlight)
    if rolledOver or state.remaining == nil then
      state.remaining = seen
    else
      state.remaining = math.min(state.remaining, seen)
    end
  end
  if resetAt ~= nil and (rolledOver or state.resetAt == nil) then
    state.resetAt = resetAt
    state.resetGuessed = nil
  elseif remaining ~= nil and state.resetAt ~= nil and state.resetAt <= now then
    -- A count for a new window whose reset the answer does not give: it holds until told otherwise.
    state.resetAt = nil
  end
  state.updatedAt = now
  return state
end

local function refundUnits(state, reserved, used, now)
  if state.kind == 'concurrency' or state.remaining == nil or isSliding(state) then return false end
  local ceiling = state.limit or math.huge
  state.remaining = math.max(0, math.min(ceiling, state.remaining + reserved - used))
  state.updatedAt = now
  return true
end

local function currentView(state, now)
  local view = copyBucket(state)
  if isSliding(state) then
    local windowMs = state.windowMs
    local log = {}
    local used = 0
    for _, entry in ipairs(view.log) do
      if entry.at > now - windowMs then
        table.insert(log, entry)
        used = used + entry.units
      end
    end
    view.log = log
    if state.limit == nil then view.remaining = nil else view.remaining = math.max(0, state.limit - used) end
    if #log > 0 then view.resetAt = log[1].at + windowMs else view.resetAt = nil end
    return view
  end
  if state.resetAt == nil or state.resetAt > now then return view end
  view.remaining = state.limit
  view.resetAt = nil
  view.resetGuessed = nil
  return view
end

local function refusedView(state, cost, now)
  local view = currentView(state, now)
  if isSliding(state) and state.limit ~= nil then
    view.resetAt = freesAt(state.log, state.windowMs, state.limit, cost, now)
  end
  return view
end

-- ---------------------------------------------------------------------------------------
-- Blocks.

local function loadBlock(scope)
  local fields = hashOf(blockKey(scope))
  if not fields then return nil end
  local state = fields.state
  -- Written by an earlier version: a circuit whose probe was in flight until 'until'.
  if state == 'probing' then state = 'circuit-open' end
  local release = fields.release
  if release == nil then
    if state == 'circuit-open' then release = 'probe' else release = 'all' end
  end
  return {
    scope = scope,
    state = state,
    ends = tonumber(fields['until']) or 0,
    reason = fields.reason or '',
    since = tonumber(fields.since) or 0,
    release = release,
    probeUntil = tonumber(fields.probeUntil),
  }
end

-- A block lives until it ends (or its probe lapses) plus the margin; one that releases a probe
-- waits for it idleTtlMs beyond its end.
local function saveBlock(block, now)
  local key = blockKey(block.scope)
  redis.call('HSET', key, 'scope', block.scope, 'state', block.state, 'until', format(block.ends),
    'reason', block.reason, 'since', format(block.since), 'release', block.release)
  if block.probeUntil ~= nil then
    redis.call('HSET', key, 'probeUntil', format(block.probeUntil))
  else
    redis.call('HDEL', key, 'probeUntil')
  end
  local ends = math.max(block.ends, block.probeUntil or block.ends)
  local extra = block.release == 'probe' and idle or margin
  redis.call('PEXPIRE', key, ttl(ends - now + extra))
  redis.call('SADD', blockIndex, block.scope)
end

local function deleteBlock(scope)
  redis.call('DEL', blockKey(scope))
  redis.call('SREM', blockIndex, scope)
end

local function encodeBlock(block)
  local out = {
    scope = block.scope, state = block.state, ['until'] = format(block.ends),
    reason = block.reason, since = format(block.since), release = block.release,
  }
  if block.probeUntil ~= nil then out.probeUntil = format(block.probeUntil) end
  return out
end

-- 'input' is a BlockInput, its 'until' read as 'ends'.
local function nextBlock(existing, input)
  if (input.mode or 'extend') == 'extend' and existing ~= nil and existing.ends > input.ends then
    return nil
  end
  local release = input.release or 'probe'
  if input.state == 'circuit-open' then release = 'probe' end
  return {
    scope = input.scope, state = input.state, ends = input.ends, reason = input.reason,
    since = input.now, release = release, probeUntil = nil,
  }
end

-- A block shows while it runs, and after it ends while it waits for (or holds) its probe.
local function shown(block, now) return block.ends > now or block.release == 'probe' end

-- ---------------------------------------------------------------------------------------
-- Failure counts.

local function loadFailures(scope)
  local key = failureKey(scope)
  local kind = redis.call('TYPE', key).ok
  if kind == 'none' then return nil end
  -- Written by an earlier version: a bare count, read as a run that began at 0.
  if kind == 'string' then return { count = tonumber(redis.call('GET', key)) or 0, since = 0 } end
  local fields = hashOf(key) or {}
  return { count = tonumber(fields.count) or 0, since = tonumber(fields.since) or 0 }
end

local function saveFailures(scope, record)
  local key = failureKey(scope)
  redis.call('DEL', key)
  redis.call('HSET', key, 'count', format(record.count), 'since', format(record.since))
  redis.call('PEXPIRE', key, ttl(settings.failureTtlMs))
  redis.call('SADD', failureIndex, scope)
end

local function deleteFailures(scope)
  redis.call('DEL', failureKey(scope))
  redis.call('SREM', failureIndex, scope)
end

-- ---------------------------------------------------------------------------------------
-- Leases: { at, holdings = { [bucket id] = units } }.

local function saveLease(leaseId, at, expiresAt, held, holdings, now)
  local key = leaseKey(leaseId)
  local fields = { leaseAtField, format(at) }
  for _, id in ipairs(held) do
    table.insert(fields, id)
    table.insert(fields, format(holdings[id]))
  end
  redis.call('HSET', key, unpack(fields))
  redis.call('PEXPIRE', key, ttl(expiresAt - now + margin))
  redis.call('ZADD', leaseIndex, format(expiresAt), leaseId)
end

-- Gives back what a lease holds in flight.
local function release(lease)
  for id, units in pairs(lease.holdings) do
    local bucket = bucketKey(id)
    local inFlight = tonumber(redis.call('HGET', bucket, 'inFlight'))
    if inFlight ~= nil then
      redis.call('HSET', bucket, 'inFlight', format(math.max(0, inFlight - units)))
    end
  end
end

-- Forgets a lease and gives back what it holds; nil when there is none (settled, lapsed, refused).
local function takeLease(leaseId)
  local key = leaseKey(leaseId)
  local fields = hashOf(key)
  redis.call('ZREM', leaseIndex, leaseId)
  if not fields then return nil end
  redis.call('DEL', key)
  local lease = { at = tonumber(fields[leaseAtField]), holdings = {} }
  for id, units in pairs(fields) do
    if id ~= leaseAtField then lease.holdings[id] = tonumber(units) end
  end
  release(lease)
  return lease
end

-- Leases that lapsed at or before now (a crashed process) give back their units.
local function expireLeases(now)
  local lapsed = redis.call('ZRANGEBYSCORE', leaseIndex, '-inf', format(now))
  for _, leaseId in ipairs(lapsed) do takeLease(leaseId) end
end

-- ---------------------------------------------------------------------------------------
-- The planner's helpers.

local function applyOne(observation, now)
  saveBucket(applyObservation(loadBucket(observation.id), observation, now), now)
end

-- Observations first, then token refunds for buckets the lease held that no header described.
local function applySettled(settled, now, held)
  for _, bucket in ipairs(settled) do
    local observed = present(bucket.observed)
    if observed then applyOne(observed, now) end
    local used = present(bucket.used)
    if not ((observed and present(observed.remaining) ~= nil) or used == nil) and held[bucket.id] then
      local state = loadBucket(bucket.id)
      if state and refundUnits(state, bucket.reserved, used, now) then saveBucket(state, now) end
    end
  end
end

local function isIdle(state, now)
  if state.inFlight > 0 then return false end
  local quiet = idleBucketMs
  if state.learnt ~= nil then quiet = idleLearntMs end
  if state.updatedAt > now - quiet then return false end
  if isSliding(state) then return usedInWindow(state.log, now, state.windowMs) == 0 end
  return state.resetAt == nil or state.resetAt <= now
end

-- What an assumed window is lengthened by (see arrivalAllowance in store-planner.ts).
local function arrivalAllowance(windowMs)
  return math.min(1000, round(windowMs / 50))
end

-- The units of the entries after 'since'.
local function unitsSince(entries, since)
  local units = 0
  for _, entry in ipairs(entries) do
    if entry.at > since then units = units + entry.units end
  end
  return units
end

-- The units in the last of the windows of windowMs that open at the first request after the
-- previous one closed (see unitsInOpenedWindow in store-planner.ts).
local function unitsInOpenedWindow(entries, windowMs)
  local opened = -math.huge
  local units = 0
  for _, entry in ipairs(entries) do
    if entry.at >= opened + windowMs then
      opened = entry.at
      units = 0
    end
    units = units + entry.units
  end
  return units
end

-- The entry at which units, counted back from the newest, are reached (else the oldest).
local function anchorOf(entries, units)
  local counted = 0
  for index = #entries, 1, -1 do
    counted = counted + entries[index].units
    if counted >= units then return entries[index] end
  end
  return entries[1]
end

-- Whether the refusal's own headers describe the window that ran out: a bucket with its limit,
-- nothing left, and a reset no later than the block's end ('ends').
local function describesEnd(settled, ends)
  for _, bucket in ipairs(settled) do
    local observed = present(bucket.observed)
    if observed and present(observed.limit) ~= nil and present(observed.remaining) == 0
      and present(observed.resetAt) ~= nil and observed.resetAt <= ends + 1000 then
      return true
    end
  end
  return false
end

local evidenceLabel = {
  header = 'a 429 header',
  body = 'the 429 body',
  message = 'the 429 message',
  count = 'counting',
}

-- The learnt record as the bucket stores it (JSON; 'at' as a %.17g string).
local function learntOf(evidence, limit, now, note)
  return cjson.encode({ evidence = evidence, named = present(limit.named), at = format(now), note = note })
end

local function formatMs(ms)
  if ms < 1000 then return jsNumber(round(ms)) .. 'ms' end
  if ms < 120000 then return jsNumber(round(ms / 100) / 10) .. 's' end
  return jsNumber(round(ms / 60000)) .. 'm'
end

-- One learnt limit (see learnLimit in store-planner.ts); returns a new state, or nil when there
-- is nothing to learn. 'limit' is a LearnLimit whose resetAt defaults to the block's end.
local function learnLimit(known, history, limit, now, refusedAt, defaultWindowMs)
  local own = nil
  if known ~= nil and isSliding(known) then own = known end
  local source = own or history
  local runStart = source and source.runStart or 0
  if refusedAt < runStart then return nil end
  local state
  if known then state = copyBucket(known) else state = emptyBucket(limit.bucket, now) end
  local learntUnits = nil
  if state.learnt ~= nil then learntUnits = state.limit end
  local learntWindow = nil
  if state.learnt ~= nil and state.windowMs ~= nil then learntWindow = state.windowMs end
  local before = {}
  local run = {}
  for _, entry in ipairs(source and source.log or {}) do
    if entry.at <= refusedAt then
      table.insert(before, entry)
      if entry.at >= runStart then table.insert(run, entry) end
    end
  end
  -- What is counted is what the provider accepted in the window known or assumed before the
  -- refusal (to the reset if that is longer), not the whole run: the smaller of a sliding
  -- window's count and that of a window opened at the first request (NVIDIA).
  local countWindow = present(limit.windowMs) or learntWindow or defaultWindowMs
  if present(limit.resetAt) ~= nil then countWindow = math.max(countWindow, limit.resetAt - refusedAt) end
  local counted = math.min(unitsSince(run, refusedAt - countWindow), unitsInOpenedWindow(before, countWindow))
  local countable = limit.bucket.kind == 'requests' or own ~= nil
  local stated = present(limit.limit)
  local units
  if stated ~= nil then
    units = stated
  elseif countable and counted > 0 then
    units = counted
  else
    units = learntUnits or 0
  end
  if not (units > 0) then return nil end
  local evidence = present(limit.evidence)
  if evidence == nil then
    if stated == nil then evidence = 'count' else evidence = 'message' end
  end
  local resetAt = present(limit.resetAt)

  if limit.fixed == true then
    if resetAt == nil then return nil end
    state.windowMs = nil
    state.log = {}
    state.limit = units
    state.remaining = 0
    state.resetAt = resetAt
    state.learnt = learntOf(evidence, limit, now, jsNumber(units) .. ' ' .. limit.bucket.kind .. ' until the reset')
    state.updatedAt = now
    return state
  end
  -- Without a request to measure from, the refusal itself is the window's last moment known.
  local anchor
  if countable then anchor = anchorOf(before, units) else anchor = run[1] end
  local anchorAt = refusedAt
  if anchor ~= nil then anchorAt = anchor.at end
  local measured = nil
  if resetAt ~= nil and resetAt > anchorAt then measured = resetAt - anchorAt end
  local statedWindow = present(limit.windowMs)
  local windowMs = statedWindow
  if windowMs == nil and measured ~= nil then
    if units == learntUnits then windowMs = math.max(measured, learntWindow or 0) else windowMs = measured end
  end
  if windowMs == nil then windowMs = learntWindow end
  if windowMs == nil then windowMs = defaultWindowMs + arrivalAllowance(defaultWindowMs) end
  local how
  if statedWindow ~= nil then
    how = 'the window as stated'
  elseif measured ~= nil then
    how = 'window from the oldest request it still counted to the reset'
  elseif learntWindow ~= nil then
    how = 'window as learnt before'
  else
    how = 'window assumed (no reset given; +' .. formatMs(arrivalAllowance(defaultWindowMs)) .. ' for arrival)'
  end
  local log
  if own then
    log = copyLog(own.log)
  elseif limit.bucket.kind == 'requests' then
    log = copyLog(run)
  else
    log = {}
  end
  -- What the provider counted that this log does not show (other clients, other replicas,
  -- requests before the history began) sits at the refusal: the window is full, as it said.
  local missing = units - usedInWindow(log, now, windowMs)
  if missing > 0 and evidence ~= 'count' then pushLog(log, refusedAt, missing) end
  local counting
  if evidence == 'count' then
    counting = jsNumber(units) .. ' accepted before the 429'
  else
    counting = evidenceLabel[evidence] .. ' stated ' .. jsNumber(units)
  end
  state.windowMs = windowMs
  state.log = log
  state.limit = units
  state.remaining = nil
  state.resetAt = nil
  state.learnt = learntOf(evidence, limit, now,
    jsNumber(units) .. ' ' .. limit.bucket.kind .. ' in any ' .. formatMs(windowMs) .. ' (' .. counting .. '; ' .. how .. ')')
  state.updatedAt = now
  return state
end

-- A list as JSON text: cjson would write an empty one as {}.
local function list(items)
  if #items == 0 then return '[]' end
  return cjson.encode(items)
end

-- ---------------------------------------------------------------------------------------
-- Operations.

local operations = {}

function operations.acquire()
  local now = input.now
  expireLeases(now)
  local probes = {}
  for _, scope in ipairs(input.blockScopes) do
    local block = loadBlock(scope)
    if block then
      if block.ends > now then return cjson.encode({ blocked = encodeBlock(block) }) end
      if block.release == 'probe' then
        if block.probeUntil ~= nil and block.probeUntil > now then
          return cjson.encode({ blocked = encodeBlock(block) })
        end
        table.insert(probes, block)
      else
        deleteBlock(scope)
      end
    end
  end
  local prepared = {}
  local order = {}
  for _, demand in ipairs(input.buckets) do
    local known = prepared[demand.id]
    if known == nil then known = loadBucket(demand.id) end
    if not (known == nil and demand.ifPresent == true) then
      if prepared[demand.id] == nil then table.insert(order, demand.id) end
      local state = prepareBucket(known, demand, now)
      prepared[demand.id] = state
      if not admits(state, demand.cost, now) then
        -- Creating, refilling and resizing stand even when the attempt is refused.
        for _, id in ipairs(order) do saveBucket(prepared[id], now) end
        return cjson.encode({ bucket = encodeBucket(refusedView(state, demand.cost, now)), cost = format(demand.cost) })
      end
    end
  end
  local probed = {}
  for _, probe in ipairs(probes) do
    probe.probeUntil = input.probeUntil
    saveBlock(probe, now)
    table.insert(probed, probe.scope)
  end
  local holdings = {}
  local held = {}
  for _, demand in ipairs(input.buckets) do
    local state = prepared[demand.id]
    if state ~= nil then
      takeUnits(state, demand.cost, now)
      if holdings[demand.id] == nil then
        holdings[demand.id] = 0
        table.insert(held, demand.id)
      end
      holdings[demand.id] = holdings[demand.id] + demand.cost
    end
  end
  for _, id in ipairs(order) do
    local state = prepared[id]
    if holdings[id] ~= nil and (state.holdUntil == nil or state.holdUntil < input.leaseExpiresAt) then
      state.holdUntil = input.leaseExpiresAt
    end
    saveBucket(state, now)
  end
  saveLease(input.leaseId, now, input.leaseExpiresAt, held, holdings, now)
  return '{"ok":true,"probes":' .. list(probed) .. '}'
end

function operations.settle()
  local now = input.now
  local lease = takeLease(input.leaseId)
  -- Leases that have lapsed no longer hold anything an observation should subtract.
  expireLeases(now)
  local held = lease and lease.holdings or {}
  applySettled(input.buckets, now, held)
  if input.answered == true and lease then
    for id in pairs(lease.holdings) do
      -- Only a learnt limit can be contradicted: the others are not read at all.
      local state = redis.call('HEXISTS', bucketKey(id), 'learnt') == 1 and loadBucket(id) or nil
      if state and state.learnt ~= nil and isSliding(state) and state.limit ~= nil
        and usedInWindow(state.log, now, state.windowMs) > state.limit then
        -- The provider answered more than the learnt limit allows: it was wrong.
        state.limit = nil
        state.remaining = nil
        state.learnt = nil
        state.updatedAt = now
        saveBucket(state, now)
      end
    end
  end
  for _, scope in ipairs(present(input.clearFailures) or {}) do deleteFailures(scope) end
  for _, scope in ipairs(present(input.unblock) or {}) do deleteBlock(scope) end
  return '{}'
end

function operations.refuse()
  local now = input.now
  local lease = takeLease(input.leaseId)
  local refusedAt = now
  if lease and lease.at then refusedAt = lease.at end
  -- A provider does not count the requests it refuses: their units go back.
  if lease then
    for id, units in pairs(lease.holdings) do
      local state = loadBucket(id)
      if state and state.kind ~= 'concurrency' then
        if isSliding(state) then
          state.log = takeBack(state.log, refusedAt, units)
          saveBucket(state, now)
        elseif state.remaining ~= nil and refundUnits(state, units, 0, now) then
          saveBucket(state, now)
        end
      end
    end
  end
  expireLeases(now)
  applySettled(input.buckets, now, {})

  local given = present(input.block['until'])
  local history = loadBucket(input.historyId)
  local learnt = {}
  local opensAt = nil
  for _, limit in ipairs(input.limits) do
    local known
    if limit.bucket.id == input.historyId then known = history else known = loadBucket(limit.bucket.id) end
    if present(limit.resetAt) == nil then limit.resetAt = given end
    local state = learnLimit(known, history, limit, now, refusedAt, input.defaultWindowMs)
    if state then
      saveBucket(state, now)
      table.insert(learnt, state)
      if isSliding(state) then
        local opens = freesAt(state.log, state.windowMs, state.limit, 1, now) or (now + state.windowMs)
        if opensAt == nil then opensAt = opens else opensAt = math.max(opensAt, opens) end
      end
    end
  end
  local historyWindow = nil
  if history and history.learnt ~= nil then historyWindow = history.windowMs end
  local ends = given or opensAt or (now + (historyWindow or input.defaultWindowMs))
  local release = 'probe'
  for _, state in ipairs(learnt) do
    if state.limit ~= nil then release = 'all' end
  end
  if describesEnd(input.buckets, ends) then release = 'all' end
  local existing = loadBlock(input.block.scope)
  local block = nextBlock(existing, {
    now = now, scope = input.block.scope, state = input.block.state, reason = input.block.reason,
    ends = ends, release = release,
  })
  if block then saveBlock(block, now) end
  local kept = block or existing
  -- The next run starts when the block ends: a later 429 learns from what was sent after it.
  local runStart = kept.ends
  local seen = {}
  local ids = { input.historyId }
  for _, state in ipairs(learnt) do table.insert(ids, state.id) end
  for _, id in ipairs(ids) do
    if not seen[id] then
      seen[id] = true
      local state = loadBucket(id)
      if state and isSliding(state) and state.runStart < runStart then
        state.runStart = runStart
        saveBucket(state, now)
      end
    end
  end
  local views = {}
  for _, state in ipairs(learnt) do
    table.insert(views, encodeBucket(currentView(loadBucket(state.id) or state, now)))
  end
  return '{"block":' .. cjson.encode(encodeBlock(kept)) .. ',"learnt":' .. list(views) .. '}'
end

function operations.observe()
  local now = input.now
  expireLeases(now)
  for _, observation in ipairs(input.observations) do applyOne(observation, now) end
  return '{}'
end

function operations.block()
  local block = nextBlock(loadBlock(input.scope), {
    now = input.now, scope = input.scope, state = input.state, ends = input['until'], reason = input.reason,
    mode = present(input.mode), release = present(input.release),
  })
  if block then saveBlock(block, input.now) end
  return '{}'
end

function operations.unblock()
  for _, scope in ipairs(input.scopes) do deleteBlock(scope) end
  return '{}'
end

function operations.recordFailure()
  local existing = loadFailures(input.scope)
  local record
  if existing then
    record = { count = existing.count + 1, since = existing.since }
  else
    record = { count = 1, since = input.now }
  end
  saveFailures(input.scope, record)
  return cjson.encode({ count = format(record.count), since = format(record.since) })
end

function operations.clearFailures()
  deleteFailures(input.scope)
  return '{}'
end

function operations.view()
  local now = input.now
  expireLeases(now)
  local buckets = {}
  local seen = {}
  for _, id in ipairs(input.bucketIds) do
    if not seen[id] then
      seen[id] = true
      local state = loadBucket(id)
      if state then table.insert(buckets, encodeBucket(currentView(state, now))) end
    end
  end
  local blocks = {}
  seen = {}
  for _, scope in ipairs(input.scopes) do
    if not seen[scope] then
      seen[scope] = true
      local block = loadBlock(scope)
      if block and shown(block, now) then table.insert(blocks, encodeBlock(block)) end
    end
  end
  return '{"buckets":' .. list(buckets) .. ',"blocks":' .. list(blocks) .. '}'
end

-- Everything held now; forgets buckets and blocks idle past their time first.
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
    elseif isIdle(state, now) then
      deleteBucket(id)
    else
      table.insert(buckets, encodeBucket(currentView(state, now)))
    end
  end
  local scopes = redis.call('SMEMBERS', blockIndex)
  table.sort(scopes)
  local blocks = {}
  for _, scope in ipairs(scopes) do
    local block = loadBlock(scope)
    if block == nil then
      redis.call('SREM', blockIndex, scope)
    elseif block.ends <= now - idleBucketMs then
      deleteBlock(scope)
    elseif shown(block, now) then
      table.insert(blocks, encodeBlock(block))
    end
  end
  return '{"buckets":' .. list(buckets) .. ',"blocks":' .. list(blocks) .. '}'
end

function operations.reset()
  local head = present(input.scopePrefix) or ''
  for _, id in ipairs(redis.call('SMEMBERS', bucketIndex)) do
    local state = loadBucket(id)
    if state == nil then
      redis.call('SREM', bucketIndex, id)
    elseif startsWith(state.scope, head) then
      if state.inFlight == 0 then
        deleteBucket(id)
      else
        -- Leases in flight are kept: the bucket stays, emptied of what was known, until they settle.
        if isSliding(state) then state.remaining = nil else state.remaining = state.limit end
        state.resetAt = nil
        state.log = {}
        state.runStart = 0
        if state.learnt ~= nil then state.limit = nil end
        state.learnt = nil
        -- Its time to live already covers those leases: it is kept as it is.
        saveBucket(state, nil)
      end
    end
  end
  for _, scope in ipairs(redis.call('SMEMBERS', blockIndex)) do
    if startsWith(scope, head) then deleteBlock(scope) end
  end
  for _, scope in ipairs(redis.call('SMEMBERS', failureIndex)) do
    if startsWith(scope, head) or redis.call('EXISTS', failureKey(scope)) == 0 then deleteFailures(scope) end
  end
  return '{}'
end

local run = operations[operation]
if run == nil then return redis.error_reply('429chain: unknown operation ' .. tostring(operation)) end
return run()
`;
