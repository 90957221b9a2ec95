"""The row hash formats the audit migrations check and write, frozen here so that a later change to
circles/audit/logic.py (which holds only the current format) does not change what an old migration does.
Django does not load this module as a migration: its name starts with "_".

Each takes a row as the migration's historical model holds it, and the values that the format covers
but that the migration is changing (key id, chain, previous row).
"""

import datetime as dt
import hashlib
import hmac


def _utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _content(event) -> list[str]:
    return [
        _utc(event.at),
        "" if event.actor_id is None else str(event.actor_id),
        event.action,
        "" if event.subject_id is None else str(event.subject_id),
        event.object_ref,
        event.outcome,
        event.client_address or "",
    ]


def _keyed(parts: list[str], secret: bytes) -> str:
    return hmac.new(secret, "\x1f".join(parts).encode(), hashlib.sha256).hexdigest()


def plain_one_chain(event, previous_hash: str) -> str:
    """Before 0003: one chain for the whole trail, SHA-256 with no key."""
    return hashlib.sha256("\x1f".join([*_content(event), previous_hash]).encode()).hexdigest()


def keyed_one_chain(event, key_id: str, secret: bytes, previous_hash: str) -> str:
    """From 0003 to 0004: one chain for the whole trail, HMAC-SHA256 under the key the row names."""
    return _keyed([*_content(event), key_id, previous_hash], secret)


def keyed_per_member(event, secret: bytes, chain: int, previous_hash: str) -> str:
    """From 0004: one chain per member; the row's id and chain are covered too."""
    return _keyed([str(event.pk), *_content(event), event.key_id, str(chain), previous_hash], secret)


def chain_of(event) -> int:
    """From 0004: the subject's chain; about nobody, the actor's; with neither, the shared chain 0."""
    if event.subject_id is not None:
        return event.subject_id
    return 0 if event.actor_id is None else event.actor_id
