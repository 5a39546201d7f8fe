"""Every setting newsmon uses, Scrapy's and its own, each with the reason for its value.

Grouped by stage, in the order an article goes through them: the project, the site and the
crawl, fetching, rendering, extraction and the pipelines, the store, publishing, health, the
run itself, scheduling and serving, scaling out. Any of them can be overridden per run with
`scrapy crawl SPIDER -s NAME=VALUE`.
"""

from scrapy.settings import default_settings

from newsmon.items import EXPORTED_FIELDS

# --- The project ----------------------------------------------------------------------------

BOT_NAME = "newsmon"
SPIDER_MODULES = ["newsmon.crawl.spiders"]
NEWSPIDER_MODULE = "newsmon.crawl.spiders"
# Our `crawl` exits non-zero when a run failed, so cron and systemd can alert.
COMMANDS_MODULE = "newsmon.cli.scrapy_commands"
# Scrapy 2.19's default; named here so a reader knows spiders run on asyncio.
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"

# Each stage below registers its own components in these.
DOWNLOADER_MIDDLEWARES: dict[str, int | None] = {}
SPIDER_MIDDLEWARES: dict[str, int | None] = {}
ITEM_PIPELINES: dict[str, int] = {}
EXTENSIONS: dict[str, int | None] = {}

# --- Crawl: the site, its listings, what to walk ------------------------------------------

# The site to monitor; point it at the offline replica for tests and demos.
NEWSMON_BASE_URL = "https://kyivindependent.com"
# Listing pages walked per listing per run: the News Feed moves fast, but a monitor that runs
# every few minutes only needs the newest pages.
NEWSMON_MAX_PAGES = 3
# Tag slugs the `tags` spider walks (and publishes feeds for) when no `-a tags=` is given.
NEWSMON_TAGS = ["united-states", "russia"]
# Author slugs (/author/<slug>/) the `authors` spider walks when no `-a authors=` is given;
# none by default: an author feed is something a reader asks for.
NEWSMON_AUTHORS: list[str] = []
# Known articles published within this many hours (counted back from the newest stored
# article, or from now if that is earlier) are revisited with a conditional request, so
# updates are caught; an unchanged one costs a 304. 0 turns revisits off.
NEWSMON_REVISIT_HOURS = 24
# True walks every listing page up to NEWSMON_MAX_PAGES (no conditional listing requests, no
# stop at a page of known articles): for a one-off backfill with a larger NEWSMON_MAX_PAGES.
NEWSMON_FULL_WALK = False
# What the walks remember between runs (known articles, validators, the revisit window) and
# the books of this run's walks; the spiders ask it before they fetch.
EXTENSIONS["newsmon.crawl.keeper.WalkKeeper"] = 10
# First in, first out: a listing page's articles are fetched before the walk moves on, so
# pending requests stay few. Scrapy's default (last in, first out) let the listing walk race
# ahead and hold nearly every article request in memory at once: peak memory for 20,000
# articles fell from 1.78x to 1.09x that for 2,000 (BENCHMARKS.md).
DEPTH_PRIORITY = 1
SCHEDULER_MEMORY_QUEUE = "scrapy.squeues.FifoMemoryQueue"
SCHEDULER_DISK_QUEUE = "scrapy.squeues.PickleFifoDiskQueue"
# A listing walk asks for its next page only while fewer than this many of the article
# requests its cards led to are unfinished: the pending requests stay bounded by construction
# (walks x (this + a page of cards)), however long the listings. 0: no bound (a Redis worker
# has none: other workers finish its articles).
NEWSMON_WALK_MAX_OUTSTANDING = 20

# --- Fetching: politeness toward the real site ----------------------------------------------

# Names newsmon and where to read about it, so the site's operators know who is calling.
USER_AGENT = "newsmon/0.1 (news-feed monitor; +https://github.com/newsmon/newsmon)"
ROBOTSTXT_OBEY = True
# One request at a time per domain with a pause between them: a news site is not a benchmark.
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
# AutoThrottle slows down further when the site answers slowly.
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
# Long enough for a slow page, short enough that a stuck one does not hold up a scheduled run.
DOWNLOAD_TIMEOUT = 30
# News pages are well under a few MB; anything larger is not an article.
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024

# --- Fetching: secure defaults for an unattended service ------------------------------------

# Scrapy opens a telnet console by default; a monitor needs no remote shell.
TELNETCONSOLE_ENABLED = False
# Scrapy 2.19 also opens a remote-control HTTP port by default; nothing here needs it.
REMOTE_CONTROL_ENABLED = False
# Its extension is not even imported unless a run switches it on: Scrapy imports every
# extension it lists before a switched-off one says so, and this one brings aiohttp, a tenth
# of a second of every crawl's start (newsmon.run.startup).
EXTENSIONS_BASE = {
    (
        "newsmon.run.startup.RemoteControlWhenEnabled"
        if name == "scrapy.extensions.remote_control.RemoteControl"
        else name
    ): order
    for name, order in default_settings.EXTENSIONS_BASE.items()
}
# Only http(s) is ever fetched: no file://, data:, ftp:// or s3:// from a crafted link. http and
# https go through newsmon's handler: plain HTTP/1.1, and scrapy-playwright's handler, its
# driver and the browser only on the first request with meta playwright=True (a run that
# renders nothing starts none).
DOWNLOAD_HANDLERS = {
    "file": None,
    "data": None,
    "ftp": None,
    "s3": None,
    "http": "newsmon.crawl.browser.RenderingDownloadHandler",
    "https": "newsmon.crawl.browser.RenderingDownloadHandler",
}
# A news page redirects once or twice (legacy permalink, trailing slash); Scrapy's 20 lets a
# hostile chain run long.
REDIRECT_MAX_TIMES = 5
# The site never uses <meta http-equiv="refresh">; a hostile page could, to send the crawler
# elsewhere.
METAREFRESH_ENABLED = False

# --- Fetching: downloader middlewares, in the order a response passes them ----------------

# Requests and redirects leaving the site's origin (host and port), changing scheme (file:,
# data:) or looping are refused with a reason; above RedirectMiddleware (600) to see them first.
DOWNLOADER_MIDDLEWARES["newsmon.crawl.middlewares.guard.SiteGuardMiddleware"] = 610
# Scrapy's HttpCompressionMiddleware, counting pages over DOWNLOAD_MAXSIZE as a drop reason.
DOWNLOADER_MIDDLEWARES["scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware"] = (
    None
)
DOWNLOADER_MIDDLEWARES["newsmon.crawl.middlewares.size.SizeLimitMiddleware"] = 590
# Decides which pages need the browser: it sees responses after redirects (600) and HTTP
# decompression (590), and before conditional GET (580) counts them.
DOWNLOADER_MIDDLEWARES["newsmon.crawl.middlewares.render.RenderMiddleware"] = 585
# Conditional GET for listing pages and revisits, with the validators the store remembers.
DOWNLOADER_MIDDLEWARES["newsmon.crawl.middlewares.conditional.ConditionalRequestsMiddleware"] = 580
# Only HTML answers pages (a PDF is refused, not made into an "article"); a page declaring
# the wrong charset over UTF-8 bytes is read as UTF-8. After decompression (590).
DOWNLOADER_MIDDLEWARES["newsmon.crawl.middlewares.content.ContentCheckMiddleware"] = 560
# Retries wait (Retry-After on 429/503, else exponential backoff) for that request only;
# Scrapy's RetryMiddleware, which it replaces, retries at once and ignores Retry-After.
DOWNLOADER_MIDDLEWARES["scrapy.downloadermiddlewares.retry.RetryMiddleware"] = None
DOWNLOADER_MIDDLEWARES["newsmon.crawl.middlewares.retry.RetryAfterMiddleware"] = 550
# First wait before retrying a failed request, in seconds; doubled for each further attempt.
NEWSMON_RETRY_BACKOFF = 1.0
# Longest wait before a retry, in seconds. A server whose Retry-After asks for more is not
# retried in this run (the next run asks again), so one page cannot hold a run up.
NEWSMON_RETRY_AFTER_MAX = 60.0
# The spider reports a page it could not get in one line, with its URL and reason; Scrapy's
# "Gave up retrying" line would say it twice.
RETRY_GIVE_UP_LOG_LEVEL = "DEBUG"

# --- Fetching: bot challenges and blocks ----------------------------------------------------

# A bot challenge or block page (Cloudflare, Akamai, Imperva, Sucuri, DataDome, PerimeterX;
# any status, even 200) ends its request at once: above the browser (585) and the retries
# (550), so it is never rendered or retried; said once per run, and after 3 in a row the run
# stops requesting the host. newsmon never tries to get past one.
DOWNLOADER_MIDDLEWARES["newsmon.crawl.middlewares.challenge.ChallengeMiddleware"] = 587
# Below the retries, so it sees each request's final answer: a run of bare 401/403/429 is a
# block too.
DOWNLOADER_MIDDLEWARES["newsmon.crawl.middlewares.challenge.RefusalMiddleware"] = 545
# After a blocked run the next one waits (Retry-After, else 10 min doubling per blocked run,
# at most 6 h), whoever starts it; a run during the wait exits 0 with one line. Right after
# the lock (0), so a skipped run opens nothing else.
EXTENSIONS["newsmon.crawl.backoff.BackoffGate"] = 5
# True: run even while backing off from a site that blocked the last run.
NEWSMON_IGNORE_BACKOFF = False

# --- Fetching: rendering JavaScript-only pages --------------------------------------------

# "auto": plain HTTP, and a browser only for a page whose cards or body are filled in by
# JavaScript; "always": every listing and article page through the browser; "never": none.
NEWSMON_RENDER = "auto"
# Debian's Chromium (`apt-get install chromium`); `playwright install` cannot fetch browsers
# on these machines. --no-sandbox: the crawl may run as root, which Chromium's sandbox refuses.
PLAYWRIGHT_BROWSER_TYPE = "chromium"
PLAYWRIGHT_LAUNCH_OPTIONS = {
    "executable_path": "/usr/bin/chromium",
    "headless": True,
    "args": [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
    ],
}
# One browser context, two pages at a time: a browser's memory grows with every open page.
PLAYWRIGHT_MAX_CONTEXTS = 1
PLAYWRIGHT_MAX_PAGES_PER_CONTEXT = 2
# A page that takes longer than a plain download (DOWNLOAD_TIMEOUT) is not coming.
PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT = 30_000
# Images, media, fonts, styles and iframes never change a page's text: the browser skips them.
PLAYWRIGHT_ABORT_REQUEST = "newsmon.crawl.browser.abort_request"

# --- Extraction and the item pipelines ----------------------------------------------------

# Counts how each article and listing page was read (the provenance the page objects put on
# each item, the listing's card source) before the pipelines see them.
SPIDER_MIDDLEWARES["newsmon.health.middleware.AuditMiddleware"] = 950
# One job each, in this order: clean text, refuse incomplete items, hold back broken ones,
# pass on only news.
ITEM_PIPELINES["newsmon.pipeline.clean.CleanPipeline"] = 100
ITEM_PIPELINES["newsmon.pipeline.validate.ValidatePipeline"] = 200
# Holds back items that look broken (tiny body, contradicting the page's own JSON-LD/meta, a
# field from a source no healthy run used): after validate, before store, so a held item is
# never stored, published or exported; the next good extraction publishes it.
ITEM_PIPELINES["newsmon.pipeline.quarantine.QuarantinePipeline"] = 250
ITEM_PIPELINES["newsmon.pipeline.store.StorePipeline"] = 300
# Items of one response processed in parallel: an article page yields one item and a listing
# none, and every pipeline is synchronous, so one is all there is to do. Scrapy starts this
# many tasks for every response, whatever it yields: its 100 cost a tenth of bare Scrapy's CPU,
# and 8 still 0.3 million instructions a response more than 1 (BENCHMARKS.md, eleventh pass).
CONCURRENT_ITEMS = 1
# Scrapy's own feed exports (-o items.jsonl) write the item's fields, not its provenance.
FEED_EXPORT_FIELDS = list(EXPORTED_FIELDS)
FEED_EXPORT_ENCODING = "utf-8"

# --- The store ------------------------------------------------------------------------------

# The SQLite state (seen articles, versions, exports); outside output/, which gets published.
NEWSMON_STATE_PATH = "state/newsmon.sqlite3"
# "update": an updated article keeps its place and guid; "reannounce": substantial rewrites
# are announced again as new entries.
NEWSMON_UPDATE_POLICY = "update"
# A crawl commits its store writes in batches: after this many write blocks (one to three per
# article) or this many seconds, whichever comes first, not an fsync'd COMMIT per block. A
# killed run loses at most the last batch, whose articles the next run fetches again.
# 1: every write commits at once.
NEWSMON_STORE_BATCH_WRITES = 100
NEWSMON_STORE_BATCH_SECONDS = 1.0

# --- Publishing -----------------------------------------------------------------------------

# Where feeds and the JSON-lines archive are written; this folder is what subscribers read.
NEWSMON_OUTPUT_DIR = "output"
# Articles per feed, newest first.
NEWSMON_FEED_SIZE = 50
# Public address of NEWSMON_OUTPUT_DIR, for the feeds' rel="self" links.
NEWSMON_FEED_BASE_URL = "http://localhost:8080/"
# Named filter feeds, published by every run as output/filters/<name>.xml|.atom|.json: a name
# and the query a served feed takes, e.g. {"kharkiv": "filter=kharkiv&filterout=opinion"}.
NEWSMON_FILTER_FEEDS: dict[str, str] = {}
# Newest articles a filter looks through (named feeds and served ?filter= URLs alike): a
# request's cost stays bounded however large the store grows.
NEWSMON_FILTER_SCAN = 5000
# Writes the feeds and the JSON-lines archive from the store when a run ends.
EXTENSIONS["newsmon.publish.extension.PublishAtClose"] = 500
# Writes output/index.html and output/feeds.opml after the health checks (520) recorded the
# run, so the page's status and recent runs include it.
EXTENSIONS["newsmon.publish.extension.FrontDoorAtClose"] = 530

# --- Health: checks, announcements, run reports -------------------------------------------

# Health checks, run history, output/health.xml and the run report when a run ends; after
# publishing (500) and RunOutcome (510), so the report sees what they did.
EXTENSIONS["newsmon.health.extension.HealthAtClose"] = 520
# Health checks and quarantine; with either off, the run report is still written.
NEWSMON_HEALTH_ENABLED = True
NEWSMON_HEALTH_QUARANTINE = True
# Baselines are this run's figures summed over this many recent healthy runs of the spider.
NEWSMON_HEALTH_BASELINE_RUNS = 10
# Fewer articles than this (a quiet incremental run) are too few to judge shares by.
NEWSMON_HEALTH_MIN_SAMPLE = 5
# Which sources an item may come from is learned once healthy runs saw this many items;
# until then the site's known sources and fallbacks are allowed.
NEWSMON_HEALTH_MIN_BASELINE_ITEMS = 20
# A field's coverage fails this far (or 3 sigma, if wider) below its baseline.
NEWSMON_HEALTH_COVERAGE_DROP = 0.25
# Coverage every run must reach, baseline or not (share of articles with the field).
NEWSMON_HEALTH_REQUIRED_COVERAGE = {"title": 0.95, "body": 0.95, "published": 0.95}
# A field's usual source giving it this much (or 3 sigma) less than in the baseline: the
# markup changed, even if a fallback still finds a value.
NEWSMON_HEALTH_SOURCE_DROP = 0.25
# With no baseline yet, at least this share of each field must come from the known markup.
NEWSMON_HEALTH_MIN_PRIMARY_SHARE = 0.5
# Share of articles whose markup may contradict their JSON-LD/meta, above the baseline.
NEWSMON_HEALTH_MAX_DISAGREEMENT = 0.1
# A body under this many words is tiny: the site's shortest briefs are one 7-word sentence.
NEWSMON_HEALTH_MIN_BODY_WORDS = 5
# Share of empty or tiny bodies tolerated above the baseline.
NEWSMON_HEALTH_MAX_TINY_SHARE = 0.05
# Listing pages without a single card tolerated in one run.
NEWSMON_HEALTH_MAX_EMPTY_LISTINGS = 0
# No new article for longer than this fails a run while the usual gap is not learned; then
# the limit is NEWSMON_HEALTH_STALE_FACTOR times the longest of the recent gaps between runs
# that found new articles (nights included), and at least NEWSMON_HEALTH_STALE_MIN_HOURS.
NEWSMON_HEALTH_STALE_HOURS = 24.0
NEWSMON_HEALTH_STALE_FACTOR = 2.0
NEWSMON_HEALTH_STALE_MIN_HOURS = 1.0
# Newest events kept in output/health.xml. A check is announced there when it starts failing,
# again every NEWSMON_HEALTH_REMIND_HOURS while it keeps failing, and a recovery when all pass.
NEWSMON_HEALTH_FEED_SIZE = 50
NEWSMON_HEALTH_REMIND_HOURS = 24.0
# Run reports go to this folder ("": reports/ beside NEWSMON_STATE_PATH); the newest
# NEWSMON_REPORT_KEEP of each spider are kept.
NEWSMON_REPORT_DIR = ""
NEWSMON_REPORT_KEEP = 500
# Apprise URLs (mailto://, tgram://, slack://, matrix://, ntfy://, discord://, json://, ...),
# separated by commas or spaces: each health incident, its reminders and its recovery are
# sent there too, with the reason and the run report's path. "": the health feed only.
NEWSMON_NOTIFY_URLS = ""

# --- The run: lock, outcome, logs -----------------------------------------------------------

# Secrets are redacted from every log record from before Scrapy dumps the overridden settings.
# (Every setting's name and type was checked as the crawler was built: see
# newsmon.run.settings_check.)
EXTENSIONS["newsmon.run.redact.RedactSecrets"] = -30
# One run at a time per state file, however it was started (watch, cron, Scrapyd); first, so
# a skipped run touches nothing.
EXTENSIONS["newsmon.run.lock.CrawlLock"] = 0
# Turns "nothing could be fetched" into a non-zero exit code.
EXTENSIONS["newsmon.run.outcome.RunOutcome"] = 510
LOG_LEVEL = "INFO"
# Scrapy's in-memory stats, without a Scrapy 2.19 shim's two exceptions per count (about
# 0.1 ms of CPU per article: newsmon counts a few dozen stats each; newsmon.compat).
STATS_CLASS = "newsmon.compat.QuickStatsCollector"
# Scrapy's duplicate filter, keeping each request's fingerprint in 8 bytes instead of about 100:
# a first run of a large listing asks for hundreds of thousands of pages
# (newsmon.crawl.dupefilter). A Redis worker uses scrapy-redis's shared filter instead.
DUPEFILTER_CLASS = "newsmon.crawl.dupefilter.CompactDupeFilter"
# Scrapy checks each response's callback for a generator that returns a value by reading and
# parsing the callback's source; its cache is weakly keyed by the bound method, which dies with
# each request, so every article page paid a source parse (about 0.15 ms). newsmon's callbacks
# never return a value: tests/test_spider_callbacks.py checks each one once instead.
WARN_ON_GENERATOR_RETURN_VALUE = False
# A dropped item is logged in one line (reason and URL), not followed by the whole item.
LOG_FORMATTER = "newsmon.run.logformat.OneLineLogFormatter"
# Quiet by default (newsmon.run.quiet): Scrapy's start-up dumps (versions, components,
# overridden settings), its engine and LogStats lines and the final stats dump go to DEBUG, and
# a network error is one line without its traceback. True logs all of it at INFO.
NEWSMON_VERBOSE = False
# A crawl's start line, and a progress line (listing pages walked, articles new, updated and
# failed, rate) every this many seconds of a long run; 0: no progress lines.
NEWSMON_PROGRESS_INTERVAL = 30.0
EXTENSIONS["newsmon.run.progress.RunProgress"] = 20
# Records below every handler's level are never built (newsmon.run.loglevel): Scrapy's
# NOTSET root had each "Crawled"/"Scraped from" DEBUG record made and redacted, then dropped.
EXTENSIONS["newsmon.run.loglevel.SkipUnemittedRecords"] = 25
# During a crawl the garbage collector's youngest pass runs once per this many new objects
# (newsmon.run.collector); Python's 700 made it cost a 2,000-article crawl 0.6 s of its 14 s
# CPU, 10,000 about 0.07 s. 0 leaves Python's setting.
NEWSMON_GC_THRESHOLD = 10_000
EXTENSIONS["newsmon.run.collector.CollectorPacing"] = 30

# --- Scheduling and serving (python -m newsmon watch / serve) -----------------------------

# `python -m newsmon watch`: the crawls of each cycle, in order (`tags` only if NEWSMON_TAGS
# is not empty), and the interval when no --every is given (30s, 10m, 1h).
NEWSMON_WATCH_CRAWLS = ["newsfeed", "tags"]
NEWSMON_WATCH_EVERY = "10m"
# Each wait is the interval plus or minus this share of it, so monitors started together do
# not all knock at the same second.
NEWSMON_WATCH_JITTER = 0.1
# After this many failed cycles in a row the wait doubles each cycle, up to the maximum
# (seconds): a site that is down is not hammered, and the watch comes back on its own.
NEWSMON_WATCH_BACKOFF_AFTER = 3
NEWSMON_WATCH_BACKOFF_MAX = 3600
# `python -m newsmon serve`: loopback by default; put a reverse proxy in front, or pass
# --host 0.0.0.0, to publish the feeds beyond this machine.
NEWSMON_SERVE_HOST = "127.0.0.1"
NEWSMON_SERVE_PORT = 8080
# Connections `serve` holds at once (more wait to be accepted, and make room by pushing out
# idle or request-less ones): what a crowd of clients, slow or not, can take is bounded.
NEWSMON_SERVE_MAX_CONNECTIONS = 64
# Seconds a client has to send each request (from when it connects or its previous answer was
# sent) and a stalled answer may stay unread: a slow or silent client cannot hold a connection.
NEWSMON_SERVE_TIMEOUT = 15

# --- Scaling out on Redis -------------------------------------------------------------------

# redis://host:6379/0 (or rediss://, unix://): the crawl becomes one worker of a crawl shared
# through Redis (scrapy-redis's queue and duplicate filter); its items go to Redis, and
# `python -m newsmon publish --from-redis URL` stores and publishes them. "": one machine.
NEWSMON_REDIS_URL = ""
# Start of every Redis key newsmon writes, so several monitors can share one Redis.
NEWSMON_REDIS_PREFIX = "newsmon"
# A worker renews its heartbeat every quarter of this; when it has not for this long (killed,
# machine gone), the other workers put the requests it was processing back into the queue.
NEWSMON_REDIS_LEASE_SECONDS = 60.0
# A worker with nothing to do asks Redis for requests this often (Scrapy alone waits 5 s).
NEWSMON_REDIS_POLL_SECONDS = 1.0
# The publisher takes items from Redis in batches of this many, and (with --follow) rewrites
# the feeds at most this often while items keep coming.
NEWSMON_REDIS_BATCH = 100
NEWSMON_REDIS_PUBLISH_EVERY = 30.0
# Switches a crawl to worker mode when NEWSMON_REDIS_URL is set; changes nothing otherwise.
ADDONS = {"newsmon.distributed.addon.RedisMode": 0}
