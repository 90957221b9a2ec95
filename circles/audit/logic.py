"""The audit trail's hash chain as pure functions: a row's hash covers its content and the hash before it."""

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

GENESIS = "0" * 64  # the "previous hash" of the first row


@dataclass(frozen=True)
class Row:
    """What a row's hash covers, in plain values."""

    at: dt.datetime
    actor_id: int | None
    action: str
    subject_id: int | None
    object_ref: str
    outcome: str
    client_address: str | None
    previous_hash: str


def row_hash(row: Row) -> str:
    """SHA-256 over the row's fields and the previous row's hash, in a fixed text form."""
    at = row.at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    parts = [
        at,
        "" if row.actor_id is None else str(row.actor_id),
        row.action,
        "" if row.subject_id is None else str(row.subject_id),
        row.object_ref,
        row.outcome,
        row.client_address or "",
        row.previous_hash,
    ]
    # The unit separator cannot appear in any field (codes, numbers, addresses), so the join is unambiguous.
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


@dataclass(frozen=True)
class Break:
    row_id: int
    reason: str


def first_break(rows: Iterable[tuple[int, Row, str]]) -> Break | None:
    """The first row, in id order, whose link or hash does not match; None when the chain is whole.

    `rows` yields (id, content, stored hash).
    """
    expected_previous = GENESIS
    for row_id, row, stored in rows:
        if row.previous_hash != expected_previous:
            return Break(row_id, "its previous-row hash does not match the row before it")
        if row_hash(row) != stored:
            return Break(row_id, "its content does not match its hash")
        expected_previous = stored
    return None
