"""A compact set of 64-bit hashes, for the books of a run that grow with the crawl.

A Python set of URL strings costs about 250 bytes per entry (the string, its slot, the table's
slack); a 200,000-article first run keeps several such books (the duplicate filter's
fingerprints, the listings each article was seen in). Here an entry is one 8-byte slot of a flat
array, kept at most two-thirds full: 12 to 24 bytes.

Two different values with the same 64-bit hash count as one. Among the few hundred thousand
values of one run that happens with a probability of about 10^-9; every book that uses this set
says what such a collision would cost (never a lost article: see `newsmon.crawl.sightings`).
No library fits: Bloom filters (rbloom, pybloom) answer "seen" wrongly by design, far more
often, and Roaring bitmaps (pyroaring) compress dense integers, not random hashes.
"""

from __future__ import annotations

from array import array

# An empty slot holds 0; a value of 0 is stored as this one instead.
EMPTY = 0
ZERO_STANDS_IN = 1
MIN_CAPACITY = 1024


class HashSet64:
    """A set of signed 64-bit integers in one flat array (open addressing, linear probing)."""

    __slots__ = ("_mask", "_size", "_table")

    def __init__(self, capacity: int = MIN_CAPACITY) -> None:
        size = MIN_CAPACITY
        while size < capacity:
            size *= 2
        self._table = array("q", bytes(8 * size))
        self._mask = size - 1
        self._size = 0

    def add(self, value: int) -> bool:
        """Add a value; tell whether it was new."""
        value = value or ZERO_STANDS_IN
        slot = self._slot_of(value)
        if self._table[slot] == value:
            return False
        self._table[slot] = value
        self._size += 1
        # At most two-thirds full: linear probing stays at a step or two per lookup.
        if 3 * self._size > 2 * len(self._table):
            self._grow()
        return True

    def __contains__(self, value: object) -> bool:
        """Tell whether a value was added."""
        if not isinstance(value, int):
            return False
        value = value or ZERO_STANDS_IN
        return self._table[self._slot_of(value)] == value

    def __len__(self) -> int:
        """The number of values held."""
        return self._size

    def memory_bytes(self) -> int:
        """The bytes its table takes (what the tests hold it to)."""
        return self._table.itemsize * len(self._table)

    def _slot_of(self, value: int) -> int:
        """The slot holding `value`, else the empty slot where it goes (linear probing)."""
        table, mask = self._table, self._mask
        slot = value & mask
        while (held := table[slot]) != EMPTY and held != value:
            slot = (slot + 1) & mask
        return slot

    def _grow(self) -> None:
        """Double the table and put every value back."""
        old = self._table
        self._table = array("q", bytes(16 * len(old)))
        self._mask = len(self._table) - 1
        for value in old:
            if value != EMPTY:
                self._table[self._slot_of(value)] = value
