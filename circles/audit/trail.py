"""Writing to and checking the audit trail. `record` is the one way a row is added."""

import ipaddress
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.ipv6 import clean_ipv6_address

from circles.audit import logic
from circles.audit.models import AuditEvent, Outcome
from circles.lib.client import current_client_address

# Any constant will do: every writer takes the same PostgreSQL advisory lock, so rows join the chain
# one at a time, in the order of their ids.
CHAIN_LOCK_KEY = 7_147_001


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
    """Add rows in one insert, chained in order."""
    events = list(events)
    if not events:
        return
    at, address, key = timezone.now(), _address(), signing_key()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_KEY])
        # On SQLite every transaction begins IMMEDIATE (settings), so writers are already one at a time.
        previous = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first() or logic.GENESIS
        rows = []
        for event in events:
            row = AuditEvent(
                at=at,
                actor_id=event.actor_id,
                action=event.action,
                subject_id=event.subject_id,
                object_ref=event.object_ref,
                outcome=event.outcome,
                client_address=address,
                key_id=key.id,
                previous_hash=previous,
            )
            row.hash = previous = logic.row_hash(row.chain_row(), key.secret)
            rows.append(row)
        AuditEvent.objects.bulk_create(rows)


def _chain() -> Iterator[tuple[int, logic.Row, str]]:
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=2000):
        yield event.pk, event.chain_row(), event.hash


def first_break() -> logic.Break | None:
    """Walks the whole trail; the first row that does not match, or None."""
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
