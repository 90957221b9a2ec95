"""Writing to and checking the audit trail. `record` is the one way a row is added."""

import ipaddress
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.ipv6 import clean_ipv6_address

from circles.audit import logic, triggers
from circles.audit.models import AuditEvent, Outcome
from circles.lib.client import current_client_address

# On PostgreSQL a writer holds, to the end of its transaction, the advisory lock (CHAIN_LOCK_KEY, chain)
# of each chain it adds to, so a chain's rows join it one at a time, in the order of their ids, while
# writers about other members go on. Each writer also holds (CHAIN_LOCK_KEY, TRAIL_HEAD) shared; a
# checkpoint takes it alone for the instant it reads the newest id, so that every id up to it is then
# committed or never will be (checkpoint.py). Any constant will do for the key.
CHAIN_LOCK_KEY = 7_147_001
TRAIL_HEAD = -1  # below every chain's lock: chain keys are folded into 0 … 2**31 - 1


def keys() -> list[logic.Key]:
    """AUDIT_HMAC_KEYS, newest first: the first makes new rows and checkpoints, all of them verify."""
    return logic.parse_keys(settings.AUDIT_HMAC_KEYS)


def signing_key() -> logic.Key:
    return keys()[0]


def verification_secrets() -> dict[str, bytes]:
    return {key.id: key.secret for key in keys()}


@dataclass(frozen=True)
class Event:
    action: str
    actor_id: int | None
    subject_id: int | None = None
    object_ref: str = ""
    outcome: str = Outcome.ALLOWED


def _address() -> str | None:
    """The request's address exactly as the database field will store it, since the hash covers it."""
    address = current_client_address()
    try:
        parsed = ipaddress.ip_address(address) if address else None
    except ValueError:
        return None
    if parsed is None:
        return None
    return clean_ipv6_address(address) if parsed.version == 6 else str(parsed)


def record(action: str, actor, *, subject=None, object_ref: str = "", outcome: str = Outcome.ALLOWED) -> None:
    """Add one row. Call it inside the transaction of the change it records, so both land or neither."""
    record_many(
        [
            Event(
                action=action,
                actor_id=getattr(actor, "pk", actor),
                subject_id=getattr(subject, "pk", subject),
                object_ref=object_ref,
                outcome=outcome,
            )
        ]
    )


def record_many(events: Iterable[Event]) -> None:
    """Add rows in one insert, each at the end of the chain of the member it is about, in order.

    Locks only the chains written to, to the end of the enclosing transaction. A transaction that
    records about several members should do it in one call, which takes their locks in order: two
    transactions taking the same two chains in opposite orders would wait for each other until
    PostgreSQL ends one of them with a deadlock error.
    """
    events = list(events)
    if not events:
        return
    at, address, key = timezone.now(), _address(), signing_key()
    chains = [logic.chain_of(event.actor_id, event.subject_id) for event in events]
    with transaction.atomic():
        _lock(chains)
        newest, ids = _newest_hashes_and_new_ids(sorted(set(chains)), len(events))
        rows = []
        for event, chain, row_id in zip(events, chains, ids, strict=True):
            row = AuditEvent(
                id=row_id,
                at=at,
                actor_id=event.actor_id,
                action=event.action,
                subject_id=event.subject_id,
                object_ref=event.object_ref,
                outcome=event.outcome,
                client_address=address,
                key_id=key.id,
                chain=chain,
                previous_hash=newest.get(chain, logic.GENESIS),
            )
            row.hash = newest[chain] = logic.row_hash(row.chain_row(), key.secret)
            rows.append(row)
        AuditEvent.objects.bulk_create(rows)


def _lock(chains: list[int]) -> None:
    """PostgreSQL: the trail head's lock shared, then the chains' locks in order; one query.

    On SQLite every transaction begins IMMEDIATE (settings), so writers are one at a time anyway.
    """
    if connection.vendor != "postgresql":
        return
    keys = sorted({chain & 0x7FFF_FFFF for chain in chains})  # the two-key form takes 32-bit keys
    with connection.cursor() as cursor:
        # PostgreSQL evaluates a volatile output column after ORDER BY, so the locks are taken in order.
        cursor.execute(
            "SELECT CASE WHEN k = %s THEN pg_advisory_xact_lock_shared(%s, k) "
            "ELSE pg_advisory_xact_lock(%s, k) END FROM unnest(%s::integer[]) AS k ORDER BY k",
            [TRAIL_HEAD, CHAIN_LOCK_KEY, CHAIN_LOCK_KEY, [TRAIL_HEAD, *keys]],
        )


# The hash of the newest row of each chain wanted (an index lookup each), then the new ids. Only the
# table's name and placeholders are written into the SQL; the chains and the count are passed as values.
NEWEST_HASHES = (
    f"SELECT chain, hash, NULL FROM {triggers.TABLE} WHERE id IN (SELECT (SELECT newest.id "  # noqa: S608
    f"FROM {triggers.TABLE} AS newest WHERE newest.chain = wanted.column1 ORDER BY newest.id DESC LIMIT 1) "
    "FROM (VALUES {wanted}) AS wanted)"
)
NEW_IDS = {
    "postgresql": f"SELECT NULL, NULL, nextval(pg_get_serial_sequence('{triggers.TABLE}', 'id')) "  # noqa: S608
    "FROM generate_series(1, %s)",
    # One writer at a time: the ids after the last one AUTOINCREMENT gave or the table holds.
    "sqlite": "SELECT NULL, NULL, MAX(COALESCE((SELECT seq FROM sqlite_sequence "  # noqa: S608
    f"WHERE name = '{triggers.TABLE}'), 0), COALESCE((SELECT MAX(id) FROM {triggers.TABLE}), 0))",
}


def _newest_hashes_and_new_ids(chains: list[int], count: int) -> tuple[dict[int, str], list[int]]:
    """The hash of each chain's newest row (chains that have one) and `count` new ids, in one query.

    Run once the chains are locked, so that within a chain ids grow in the order rows are committed.
    """
    newest = NEWEST_HASHES.format(wanted=", ".join(["(%s)"] * len(chains)))
    postgresql = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        cursor.execute(
            f"{newest} UNION ALL {NEW_IDS[connection.vendor]}", [*chains, count] if postgresql else chains
        )
        found = cursor.fetchall()
    hashes = {chain: row_hash for chain, row_hash, _ in found if chain is not None}
    ids = sorted(row_id for chain, _, row_id in found if chain is None)
    if not postgresql:
        ids = list(range(ids[0] + 1, ids[0] + 1 + count))
    return hashes, ids


def _chain() -> Iterator[tuple[logic.Row, str]]:
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=2000):
        yield event.chain_row(), event.hash


def first_break() -> logic.Break | None:
    """Walks the whole trail in id order, following each chain; the first row that does not match, or None."""
    return logic.first_break(_chain(), verification_secrets())


def refuse_record(actor, model, pk: int, *, write: bool) -> Http404:
    """The 404 for a record that is missing or someone else's; in the second case the attempt is recorded
    as "<model>.view" or "<model>.change", refused, against its owner (the record's `member`)."""
    name = model._meta.model_name
    owner = model.objects.filter(pk=pk).values_list("member_id", flat=True).first()
    return refuse(actor, f"{name}.change" if write else f"{name}.view", f"{name}:{pk}", owner)


def refuse(actor, action: str, object_ref: str, owner_id: int | None) -> Http404:
    """Records a refused attempt on someone else's record and returns the 404 to raise.

    Nothing is recorded for a record that does not exist: there is nobody whose data was at stake.
    """
    if owner_id is not None:
        record(action, actor, subject=owner_id, object_ref=object_ref, outcome=Outcome.DENIED)
    return Http404()
