"""CompactDupeFilter: Scrapy's duplicate filter, its fingerprints 8 bytes each instead of ~100.

Scrapy's RFPDupeFilter keeps every request's 20-byte SHA-1 fingerprint in a set of bytes
objects for the whole run: about 100 bytes per request, the largest book of a long first run
(one request per article, plus the listing pages). This filter keeps the fingerprint's
64-bit hash (of all its bytes, so any REQUEST_FINGERPRINTER_CLASS works) in a `HashSet64`. Two
different requests would have to share that hash to be taken for one: about 10^-9 in a run of
200,000 requests. The job directory's `requests.seen` file (JOBDIR) is read and written exactly
as Scrapy does.
"""

from __future__ import annotations

from scrapy import Request
from scrapy.dupefilters import RFPDupeFilter

from newsmon.crawl.compact import HashSet64

_LENGTH_BYTES = 2  # requests.seen: each fingerprint after its big-endian 2-byte length


class CompactDupeFilter(RFPDupeFilter):
    """RFPDupeFilter (DUPEFILTER_CLASS) whose fingerprints take 8 bytes each in memory."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.seen = HashSet64()
        # Scrapy read the job directory's fingerprints into its own set: take them over.
        for fingerprint in self._fingerprints:
            self.seen.add(hash(fingerprint))
        self._fingerprints = set()

    def request_seen(self, request: Request) -> bool:
        """Tell whether an equal request was seen; remember this one (and write it to JOBDIR)."""
        fingerprint = self._fingerprint(request)
        if not self.seen.add(hash(fingerprint)):
            return True
        if self.file:
            self.file.write(len(fingerprint).to_bytes(_LENGTH_BYTES, "big") + fingerprint)
        return False
