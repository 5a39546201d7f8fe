"""The Lua scripts of worker mode: each step that touches several keys happens atomically.

Redis runs a script without interleaving any other command, so a worker killed at any moment
leaves either the whole step done or none of it: a request is never marked seen without being
queued, never taken from the queue without being leased, and a dead worker's leases go back
to the queue exactly once. Scripts that build per-worker keys from a prefix (ARGV) touch keys
they do not declare: fine on one Redis server, not on Redis Cluster.

A lease is stored as "<score>|<serialized request>", so it can be put back into the sorted
set with its priority without decoding the request; so is a walk's held-back next page.

redis-py runs a command again when its reply was lost (a dropped connection, a timeout), so
a second run of any script with the same arguments changes nothing more than the first did:
a lease id already taken returns its request, a seeder asking again is still the seeder, a
page already held or queued is not queued or counted again, a batch already taken is
returned again. Its answer may differ where that costs nothing: an article request seen
before says "not queued" (the scheduler logs it as a duplicate, though it is in the queue),
a release says it released nothing (a stat counts one lease less).

Walks are bounded in Redis (NEWSMON_WALK_MAX_OUTSTANDING), as on one machine: a hash counts
each listing walk's article requests queued or leased and not finished, and a walk's next
listing page waits in another hash, not in a worker's memory, while its count is at the
bound. Queuing an article request counts it up, releasing its lease counts it down (and
queues the held page once the count is below the bound), both in the same script as the
queue or lease change: a killed worker leaves the counts exact. A lease requeued from a dead
worker stays counted until its request is finished.
"""

from __future__ import annotations

from typing import Any

import redis

# KEYS: queue, dupefilter, walks' outstanding counts, walks' held pages.
# ARGV: fingerprint ("" for dont_filter), score, request, then what the request is to a
# listing walk ("article": led to by the walk's cards, "next": the walk's next page, "": no
# walk), the walk's listing slug, the bound (0: none).
# Returns 1 if queued (or already in the queue, for dont_filter), 2 if held back (a next page
# while its walk is at the bound, or the very page already held: a listing page parsed again
# after its worker died asks for it again; a walk holds one page at most, any other is
# queued), 0 if the fingerprint was seen before.
ENQUEUE = """
if ARGV[1] ~= '' then
  if redis.call('SADD', KEYS[2], ARGV[1]) == 0 then
    return 0
  end
elseif redis.call('ZSCORE', KEYS[1], ARGV[3]) then
  return 1
end
if ARGV[4] == 'article' then
  redis.call('HINCRBY', KEYS[3], ARGV[5], 1)
elseif ARGV[4] == 'next' then
  local held = ARGV[2] .. '|' .. ARGV[3]
  if redis.call('HGET', KEYS[4], ARGV[5]) == held then
    return 2
  end
  local bound = tonumber(ARGV[6])
  if bound > 0 and tonumber(redis.call('HGET', KEYS[3], ARGV[5]) or '0') >= bound
      and redis.call('HSETNX', KEYS[4], ARGV[5], held) == 1 then
    return 2
  end
end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
return 1
"""

# KEYS: the worker's leases, queue, walks' outstanding counts, walks' held pages.
# ARGV: the bound, then per finished request its lease id and its walk's slug ("" none).
# Drops the leases still held (one requeued from this worker, thought dead, is not counted
# down: its request runs again); counts each walk down and queues a held page once its walk
# is below the bound (at once for a worker without a bound, 0: workers may differ).
# Returns {leases released, held pages queued}.
RELEASE_LEASES = """
local bound = tonumber(ARGV[1])
local released, freed = 0, 0
for i = 2, #ARGV, 2 do
  local walk = ARGV[i + 1]
  if redis.call('HDEL', KEYS[1], ARGV[i]) == 1 then
    released = released + 1
    if walk ~= '' then
      local left = redis.call('HINCRBY', KEYS[3], walk, -1)
      if left <= 0 then
        redis.call('HDEL', KEYS[3], walk)
      end
      local held = redis.call('HGET', KEYS[4], walk)
      if held and (bound <= 0 or left < bound) then
        redis.call('HDEL', KEYS[4], walk)
        local bar = string.find(held, '|', 1, true)
        redis.call('ZADD', KEYS[2], string.sub(held, 1, bar - 1), string.sub(held, bar + 1))
        freed = freed + 1
      end
    end
  end
end
return {released, freed}
"""

# KEYS: queue, the worker's leases. ARGV: lease id.
# Returns the request with the best score, leased under the id, or nil if the queue is empty;
# the request already leased under the id, if any (a second run).
POP_LEASE = """
local leased = redis.call('HGET', KEYS[2], ARGV[1])
if leased then
  return string.sub(leased, string.find(leased, '|', 1, true) + 1)
end
local top = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #top == 0 then
  return false
end
redis.call('ZREM', KEYS[1], top[1])
redis.call('HSET', KEYS[2], ARGV[1], top[2] .. '|' .. top[1])
return top[1]
"""

# KEYS: queue, the worker's leases. ARGV: lease ids to put back (none: all of them).
# Returns how many requests went back to the queue.
REQUEUE_LEASES = """
local values
if #ARGV == 0 then
  values = redis.call('HVALS', KEYS[2])
  redis.call('DEL', KEYS[2])
else
  values = {}
  for _, id in ipairs(ARGV) do
    local value = redis.call('HGET', KEYS[2], id)
    if value then
      table.insert(values, value)
      redis.call('HDEL', KEYS[2], id)
    end
  end
end
for _, value in ipairs(values) do
  local bar = string.find(value, '|', 1, true)
  redis.call('ZADD', KEYS[1], string.sub(value, 1, bar - 1), string.sub(value, bar + 1))
end
return #values
"""

# KEYS: crawl, queue, dupefilter, workers. ARGV: worker, now (ISO time), key base.
# Joins the running crawl, or starts a new one (fresh queue and duplicate filter, leases of
# dead workers voided, the walks' counts and held pages cleared) when there is none or the
# last one finished; takes over seeding from a seeder that died doing it (and answers "seed"
# again to the seeder itself).
# Returns {"seed" or "join", generation}.
JOIN = """
redis.call('SADD', KEYS[4], ARGV[1])
local state = redis.call('HGET', KEYS[1], 'state')
if not state or state == 'finished' then
  for _, worker in ipairs(redis.call('SMEMBERS', KEYS[4])) do
    if redis.call('EXISTS', ARGV[3] .. 'alive:' .. worker) == 0 then
      redis.call('DEL', ARGV[3] .. 'leases:' .. worker)
      redis.call('SREM', KEYS[4], worker)
    end
  end
  redis.call('DEL', KEYS[2], KEYS[3], ARGV[3] .. 'walks:outstanding', ARGV[3] .. 'walks:held')
  local generation = redis.call('HINCRBY', KEYS[1], 'generation', 1)
  redis.call('HDEL', KEYS[1], 'finished_at', 'listing_pages')
  redis.call('HSET', KEYS[1], 'state', 'seeding', 'seeder', ARGV[1], 'started_at', ARGV[2])
  return {'seed', generation}
end
local generation = tonumber(redis.call('HGET', KEYS[1], 'generation') or '0')
if state == 'seeding' then
  local seeder = redis.call('HGET', KEYS[1], 'seeder') or ''
  if seeder == ARGV[1] or redis.call('EXISTS', ARGV[3] .. 'alive:' .. seeder) == 0 then
    redis.call('HSET', KEYS[1], 'seeder', ARGV[1])
    return {'seed', generation}
  end
end
return {'join', generation}
"""

# KEYS: crawl. ARGV: worker. Marks the seeding done if this worker is the seeder.
MARK_SEEDED = """
if redis.call('HGET', KEYS[1], 'state') == 'seeding'
    and redis.call('HGET', KEYS[1], 'seeder') == ARGV[1] then
  redis.call('HSET', KEYS[1], 'state', 'seeded')
  return 1
end
return 0
"""

# KEYS: crawl, queue, workers. ARGV: worker, now (ISO time), key base.
# Puts the leases of dead workers back into the queue, then tells where the crawl stands:
# "finished" (marked now if the seeding is done, the queue is empty, no live worker holds
# a lease and no walk holds a page), "reseed" (the seeder died while seeding: this worker
# is the seeder now), "seeding" or "running". A walk's page held back when nothing is queued
# or leased any more goes into the queue (its count cannot come down: the crawl would never
# finish).
# Returns {requeued, leases held by live workers, state, held pages queued}.
SETTLE = """
local requeued = 0
local busy = 0
for _, worker in ipairs(redis.call('SMEMBERS', KEYS[3])) do
  local leases = ARGV[3] .. 'leases:' .. worker
  if redis.call('EXISTS', ARGV[3] .. 'alive:' .. worker) == 1 then
    busy = busy + redis.call('HLEN', leases)
  else
    for _, value in ipairs(redis.call('HVALS', leases)) do
      local bar = string.find(value, '|', 1, true)
      redis.call('ZADD', KEYS[2], string.sub(value, 1, bar - 1), string.sub(value, bar + 1))
      requeued = requeued + 1
    end
    redis.call('DEL', leases)
    redis.call('SREM', KEYS[3], worker)
  end
end
local state = redis.call('HGET', KEYS[1], 'state')
if not state or state == 'finished' then
  return {requeued, busy, 'finished', 0}
end
if state == 'seeding' then
  local seeder = redis.call('HGET', KEYS[1], 'seeder') or ''
  if seeder ~= ARGV[1] and redis.call('EXISTS', ARGV[3] .. 'alive:' .. seeder) == 0 then
    redis.call('HSET', KEYS[1], 'seeder', ARGV[1])
    return {requeued, busy, 'reseed', 0}
  end
  return {requeued, busy, 'seeding', 0}
end
if requeued == 0 and busy == 0 and redis.call('ZCARD', KEYS[2]) == 0 then
  local held = redis.call('HVALS', ARGV[3] .. 'walks:held')
  if #held > 0 then
    for _, value in ipairs(held) do
      local bar = string.find(value, '|', 1, true)
      redis.call('ZADD', KEYS[2], string.sub(value, 1, bar - 1), string.sub(value, bar + 1))
    end
    redis.call('DEL', ARGV[3] .. 'walks:held', ARGV[3] .. 'walks:outstanding')
    return {requeued, busy, 'running', #held}
  end
  redis.call('HSET', KEYS[1], 'state', 'finished', 'finished_at', ARGV[2])
  return {requeued, busy, 'finished', 0}
end
return {requeued, busy, 'running', 0}
"""

# KEYS: items, processing. ARGV: how many.
# Moves up to that many of the oldest items into the processing list; returns them, oldest
# first. The processing list is empty here (the publisher empties it after each batch, and
# restores an interrupted one at start): one that is not holds the batch a first run of this
# script took, and it is returned again, so the publisher records it before emptying it.
TAKE_BATCH = """
local pending = redis.call('LRANGE', KEYS[2], 0, -1)
if #pending > 0 then
  local oldest_first = {}
  for i = #pending, 1, -1 do
    table.insert(oldest_first, pending[i])
  end
  return oldest_first
end
local taken = {}
for _ = 1, tonumber(ARGV[1]) do
  local value = redis.call('LMOVE', KEYS[1], KEYS[2], 'RIGHT', 'LEFT')
  if not value then
    break
  end
  table.insert(taken, value)
end
return taken
"""

# KEYS: processing, items. Puts an unfinished batch back where it came from, in its order,
# so it is taken first next time. Returns how many items went back.
RESTORE_BATCH = """
local moved = 0
while redis.call('LMOVE', KEYS[1], KEYS[2], 'LEFT', 'RIGHT') do
  moved = moved + 1
end
return moved
"""

# KEYS: lock. ARGV: owner, milliseconds. Renews a lock only while this owner holds it.
RENEW_LOCK = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""

# KEYS: lock. ARGV: owner. Releases a lock only if this owner holds it.
RELEASE_LOCK = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class Scripts:
    """The scripts registered on one client (sent once, then called by their SHA1)."""

    def __init__(self, client: redis.Redis) -> None:
        self.enqueue = client.register_script(ENQUEUE)
        self.pop_lease = client.register_script(POP_LEASE)
        self.requeue_leases = client.register_script(REQUEUE_LEASES)
        self.release_leases = client.register_script(RELEASE_LEASES)
        self.join = client.register_script(JOIN)
        self.mark_seeded = client.register_script(MARK_SEEDED)
        self.settle = client.register_script(SETTLE)
        self.take_batch = client.register_script(TAKE_BATCH)
        self.restore_batch = client.register_script(RESTORE_BATCH)
        self.renew_lock = client.register_script(RENEW_LOCK)
        self.release_lock = client.register_script(RELEASE_LOCK)


def text(value: Any) -> str:
    """A Redis reply (bytes, str or number) as text."""
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)
