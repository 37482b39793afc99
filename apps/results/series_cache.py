"""The copies of series kept in Redis for charts, within a memory bound of their own.

Redis also carries the Channels layer (job progress to browsers), so the copies cannot lean on
a global ``maxmemory`` eviction policy: under memory pressure Redis would drop whatever it
samples, channel messages included, or (``noeviction``, its default) refuse every write. The
copies therefore keep their own account and evict among themselves, least recently used first,
before they take more than :data:`~django.conf.settings.SERIES_CACHE_MAX_BYTES`
(``DT_SERIES_CACHE_MAX_BYTES``, 256 MiB by default: some 3,800 series of a year of hours).

Kept under the prefix ``P`` (``DT_SERIES_CACHE_PREFIX``):

- ``P:<job id>:<digest>``: one copy (bytes), expiring :data:`COPY_TTL_S` after its last read;
- ``P:lru``: a sorted set of the copies' keys scored by their last use (epoch s);
- ``P:size``: a hash of each copy's size (its value and key, bytes);
- ``P:bytes``: the sum of those sizes.

Storing and forgetting are each one Lua script, so concurrent web processes never see the
account half updated and the bound holds after every store. The scripts touch copy keys they
find in the index, which a Redis Cluster would refuse; the product uses one Redis. The
sizes count values and keys, not Redis's own overhead per key (about 100 bytes; under 0.2 % of
a 70 kB copy). A copy that expires by itself (unread for :data:`COPY_TTL_S`) is still in the
account until the next store drops it: its last use is then older than the TTL.

Reading costs one round trip as before (``MGET``, and a script that marks the copies as used in
the same pipeline): see ``bench/series_cache.py`` for the figures.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from functools import cache

import redis
from django.conf import settings

from designtoolkit import redis_pools

#: How long a copy lives after it was last read: long enough for a day of comparing, short
#: enough that Redis holds only what is looked at these days.
COPY_TTL_S = 24 * 3600

# Each script's KEYS are the index, the size hash and the byte count (in that order).
_EVICT = """
local function evict(key)
  local size = tonumber(redis.call('HGET', KEYS[2], key) or '0')
  redis.call('DEL', key)
  redis.call('HDEL', KEYS[2], key)
  redis.call('ZREM', KEYS[1], key)
  redis.call('DECRBY', KEYS[3], size)
end
"""

# ARGV: max bytes, TTL (s), now (epoch s), then key, value pairs. Returns the bytes kept.
_STORE = (
    _EVICT
    + """
local max_bytes, ttl, now = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
for _, key in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now - ttl)) do
  evict(key)
end
for i = 4, #ARGV, 2 do
  local key, value = ARGV[i], ARGV[i + 1]
  local size = string.len(key) + string.len(value)
  if size <= max_bytes then
    local old = tonumber(redis.call('HGET', KEYS[2], key) or '0')
    redis.call('SET', key, value, 'EX', ttl)
    redis.call('HSET', KEYS[2], key, size)
    redis.call('ZADD', KEYS[1], now, key)
    redis.call('INCRBY', KEYS[3], size - old)
  end
end
while tonumber(redis.call('GET', KEYS[3]) or '0') > max_bytes do
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0)
  if #oldest == 0 then
    redis.call('SET', KEYS[3], 0)
    break
  end
  evict(oldest[1])
end
return tonumber(redis.call('GET', KEYS[3]) or '0')
"""
)

# ARGV: TTL (s), now (epoch s), then the keys: each copy still in the account is marked as used.
_TOUCH = """
local ttl, now = tonumber(ARGV[1]), tonumber(ARGV[2])
for i = 3, #ARGV do
  if redis.call('ZADD', KEYS[1], 'XX', 'CH', now, ARGV[i]) == 1 then
    redis.call('EXPIRE', ARGV[i], ttl)
  end
end
return 0
"""

# ARGV: the keys. Returns how many copies there were.
_FORGET = (
    _EVICT
    + """
local gone = 0
for i = 1, #ARGV do
  gone = gone + redis.call('EXISTS', ARGV[i])
  evict(ARGV[i])
end
return gone
"""
)


@cache
def _scripts(url: str) -> tuple[redis.Redis, object, object, object]:
    client = redis_pools.client(url)
    return (
        client,
        client.register_script(_STORE),
        client.register_script(_FORGET),
        client.register_script(_TOUCH),
    )


def _account() -> list[str]:
    prefix = settings.SERIES_CACHE_PREFIX
    return [f"{prefix}:lru", f"{prefix}:size", f"{prefix}:bytes"]


def copy_key(*parts: object) -> str:
    """The key of one copy: the prefix, then ``parts`` joined by colons."""
    return ":".join((settings.SERIES_CACHE_PREFIX, *map(str, parts)))


def fetch(keys: list[str]) -> list[bytes | None]:
    """The copies under ``keys`` (None where there is none), each marked as just used.

    One round trip: ``MGET``, then in the same pipeline a script that gives each copy still in
    the account its new time of use and TTL (the values do not pass through Lua, whose copying
    of them made reading 1.7 times slower). A copy evicted in between stays evicted; nothing
    here can grow the account.
    """
    if not keys:
        return []
    client, _, _, touch = _scripts(settings.REDIS_URL)
    pipe = client.pipeline(transaction=False)
    pipe.mget(keys)
    touch(keys=_account()[:1], args=[COPY_TTL_S, time.time(), *keys], client=pipe)  # type: ignore[operator]
    return pipe.execute()[0]


def store(copies: Mapping[str, bytes]) -> int:
    """Keep ``copies`` (key -> value), evicting the least recently used copies while all of
    them together take more than the bound; returns the bytes kept after. A copy larger than
    the bound on its own is not kept."""
    if not copies:
        return 0
    _, script, _, _ = _scripts(settings.REDIS_URL)
    args: list[object] = [settings.SERIES_CACHE_MAX_BYTES, COPY_TTL_S, time.time()]
    for key, value in copies.items():
        args += [key, value]
    return int(script(keys=_account(), args=args))  # type: ignore[operator]


def forget(keys: Iterable[str]) -> int:
    """Remove the copies under ``keys`` and their account; returns how many there were."""
    keys = list(keys)
    _, _, script, _ = _scripts(settings.REDIS_URL)
    gone = 0
    for start in range(0, len(keys), 1000):
        gone += int(script(keys=_account(), args=keys[start : start + 1000]))  # type: ignore[operator]
    return gone


def usage() -> tuple[int, int]:
    """(copies, bytes) as the account holds them."""
    client, _, _, _ = _scripts(settings.REDIS_URL)
    lru, _, total = _account()
    copies, kept = client.pipeline().zcard(lru).get(total).execute()
    return int(copies), int(kept or 0)
