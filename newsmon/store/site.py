"""The site a state file was made for: its articles, validators and feeds belong to it alone.

Articles are keyed by their URLs on the site, listings carry the site's validators, and a
walk stops at the articles it knows: a run against another site (another scheme, host or
port of NEWSMON_BASE_URL, such as a replica started on a new port) on the same state would
revisit dead URLs and publish links to them next to the new site's. So the state records the
site on first use and refuses any other, in one line that says what to do.
"""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

from newsmon.store.connection import Connection, to_db_time
from newsmon.store.errors import StateStoreError

DEFAULT_PORTS = {"http": 80, "https": 443}


def site_origin(base_url: str) -> str:
    """`scheme://host[:port]` in one spelling: lower case, the scheme's default port left out."""
    parts = urlsplit(base_url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:  # an IPv6 address keeps its brackets
        host = f"[{host}]"
    port = parts.port
    if port is None or port == DEFAULT_PORTS.get(scheme):
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


class SiteTables(Connection):
    """The site table: one row, the origin of the site the state belongs to."""

    def bound_site(self) -> str | None:
        """The origin this state was made for, or None before its first run."""
        row = self._connection().execute("SELECT origin FROM site WHERE id = 1").fetchone()
        return str(row[0]) if row is not None else None

    def bind_site(self, base_url: str) -> None:
        """Record the site on first use (new or older state files); refuse another one."""
        origin = site_origin(base_url)
        with self._transaction() as conn:
            row = conn.execute("SELECT origin FROM site WHERE id = 1").fetchone()
            if row is None:
                conn.execute(
                    "INSERT INTO site (id, origin, bound_at) VALUES (1, ?, ?)",
                    (origin, to_db_time(datetime.now(UTC))),
                )
                return
        if row[0] != origin:
            raise StateStoreError(
                f"the state file {self.path} belongs to {row[0]}, not to {origin} "
                f"(NEWSMON_BASE_URL): use another NEWSMON_STATE_PATH for {origin}, "
                f"or NEWSMON_BASE_URL={row[0]} with this one"
            )
