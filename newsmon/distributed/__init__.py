"""Scaling out on Redis: many `scrapy crawl` workers share one crawl, one publisher publishes.

`-s NEWSMON_REDIS_URL=redis://host:6379/0` turns a crawl into a worker of a shared crawl
(scrapy-redis's scheduler queue and duplicate filter, see `addon`). Workers keep no state
file: they push their items to Redis, and `python -m newsmon publish --from-redis URL`
consumes them into the store and writes the feeds and the archive as a single-machine run
does.

Modules, one job each:
- `keys`: Redis key names and the connection.
- `scripts`: the Lua scripts that make each multi-key step atomic.
- `addon`: the Scrapy add-on that switches a crawl to worker mode.
- `scheduler`: scrapy-redis's scheduler with atomic enqueueing and leased requests.
- `leases`: the requests a worker took and has not finished.
- `worker`: one worker's membership of the shared crawl: heartbeat, seeding, finishing.
- `seeding`, `listings`: spider middlewares (seed the listings once; keep listing membership).
- `walks`: the spider's walk bookkeeping on a worker.
- `envelope`, `pipeline`: items on their way into Redis.
- `consumer`, `publisher`: items out of Redis into the store, then publishing
  (`python -m newsmon publish --from-redis URL`, newsmon/cli/publish.py).
- `watching`: `python -m newsmon watch --from-redis URL`.
What worker mode needs of Scrapy's engine and of scrapy-redis's queue without a public API
(the requests in progress, the nudge, the queue's request encoding) is in `newsmon.compat`.

What a crawl keeps in Redis, under NEWSMON_REDIS_PREFIX (`newsmon`) and the spider's name:
`<p>:<spider>:requests` (sorted set, the shared queue), `<p>:<spider>:dupefilter` (set of
request fingerprints), `<p>:<spider>:crawl` (hash: state seeding|seeded|finished, seeder,
generation), `<p>:<spider>:workers` (set), `<p>:<spider>:alive:<worker>` (heartbeat key
with a TTL), `<p>:<spider>:leases:<worker>` (hash of the requests a worker is processing).
Shared by all spiders: `<p>:items` (list, newest first), `<p>:items:processing` (the
publisher's batch in progress), `<p>:items:rejected` (payloads that could not be read),
`<p>:listings` (set of walked listing slugs), `<p>:publisher` (the publisher's lock).
"""
