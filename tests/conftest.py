"""Shared fixtures: the offline replica of the site, run as a subprocess on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.replica.client import Replica, start_replica


@pytest.fixture
def replica() -> Iterator[Replica]:
    """A fresh default replica (240 articles); tests may publish and update on it."""
    with start_replica() as running:
        yield running


@pytest.fixture
def replica_small() -> Iterator[Replica]:
    """A fresh small replica (60 articles)."""
    with start_replica("--articles", "60") as running:
        yield running
