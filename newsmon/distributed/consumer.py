"""The publisher's consumer: items out of Redis into the store, at least once, never lost.

A batch is moved (one Lua script) from the item list into a processing list, each item goes
through the same steps as on one machine (`clean_article`, `drop_reason`, then the store's
`record` as StorePipeline calls it), and only then is the processing list emptied. A
publisher killed in between leaves the batch in the processing list; the next one puts it
back first (`restore`) and records it again, which the store's dedupe turns into "unchanged".

A payload that is not an item envelope is moved to the rejected list with the reason (kept,
never dropped); an item refused by `drop_reason` is counted and logged, as ValidatePipeline
does.
"""

from __future__ import annotations

import base64
import json
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import redis

from newsmon.distributed.envelope import BadEnvelope, decode
from newsmon.distributed.keys import ItemKeys
from newsmon.distributed.scripts import Scripts
from newsmon.extract.normalize.urls import canonical_url
from newsmon.pipeline.clean import clean_article
from newsmon.pipeline.validate import drop_reason
from newsmon.store import StateStore, body_fingerprint

logger = logging.getLogger(__name__)


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class ItemConsumer:
    """Moves items from Redis into the store, batch by batch."""

    client: redis.Redis
    scripts: Scripts
    keys: ItemKeys
    store: StateStore
    site: str
    """NEWSMON_BASE_URL: decides canonical URLs, as in StorePipeline."""
    clock: Callable[[], datetime] = _utc_now
    stats: Counter[str] = field(default_factory=Counter)

    def restore(self) -> int:
        """Put back a batch an earlier publisher took and did not finish; how many items."""
        moved = int(self.scripts.restore_batch(keys=[self.keys.processing, self.keys.items]))
        if moved:
            logger.warning(
                "%d item(s) of an interrupted batch go back to the queue and are recorded again",
                moved,
            )
            self.stats["newsmon/redis/restored"] += moved
        return moved

    def pending(self) -> int:
        """Items waiting in Redis."""
        return int(self.client.llen(self.keys.items))

    def consume_batch(self, size: int) -> int:
        """Record up to `size` items in the store, then acknowledge them; how many were taken."""
        payloads = self.scripts.take_batch(
            keys=[self.keys.items, self.keys.processing], args=[size]
        )
        for payload in payloads:
            self.ingest(payload)
        if payloads:
            # Every item of the batch is in the store (each record is its own transaction).
            self.client.delete(self.keys.processing)
        return len(payloads)

    def ingest(self, payload: bytes) -> str:
        """Record one payload; the outcome (new, updated, unchanged, dropped, rejected)."""
        try:
            envelope = decode(payload)
        except BadEnvelope as error:
            self._reject(payload, str(error))
            return "rejected"
        cut: list[str] = []
        item = clean_article(envelope.item, cut)
        for name in cut:
            self.stats[f"newsmon/cut/{name}"] += 1
        reason = drop_reason(item)
        if reason is not None:
            self.stats[f"newsmon/dropped/{reason}"] += 1
            logger.warning("dropped (%s): %s", reason.replace("_", " "), item.url or "(no URL)")
            return "dropped"
        self.stats["newsmon/items/valid"] += 1
        # As StorePipeline does: one canonical key per article, the body as its fingerprint.
        item.url = canonical_url(item.url, self.site)
        result = self.store.record(
            item, canonical=item.url, fingerprint=body_fingerprint(item.body), now=self.clock()
        )
        self.stats[f"newsmon/items/{result.outcome}"] += 1
        if result.outcome != "unchanged":
            logger.info("%s article (version %d): %s", result.outcome, result.version, item.url)
        return result.outcome

    def _reject(self, payload: bytes, reason: str) -> None:
        """Keep an unreadable payload aside with its reason, and say so once."""
        kept: dict[str, str] = {
            "reason": reason,
            "at": self.clock().isoformat(timespec="seconds"),
        }
        try:
            kept["payload"] = payload.decode("utf-8")
        except UnicodeDecodeError:
            # Bytes that are not text are kept whole, not "repaired".
            kept["payload_base64"] = base64.b64encode(payload).decode("ascii")
        record = json.dumps(kept, ensure_ascii=False)
        self.client.lpush(self.keys.rejected, record)
        self.stats["newsmon/redis/rejected"] += 1
        logger.error("item payload refused (%s): kept in %s", reason, self.keys.rejected)
