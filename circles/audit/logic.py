"""The audit trail's keyed hash chain and its checkpoints, as pure functions (keys are passed in).

A row's hash is an HMAC-SHA256, under a key that lives only in the environment, over the row's content
and the hash of the row before it. Without the key nobody can recompute the chain after changing a row.
A checkpoint is the head of the chain (row count, last id, last hash), signed with the same keys and kept
outside the database, so rows removed from the end of the chain are found too.
"""

import datetime as dt
import hashlib
import hmac
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

GENESIS = "0" * 64  # the "previous hash" of the first row

# A key id is short and plain: it is stored on every row and must not contain the field separator.
KEY_ID = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")
MINIMUM_SECRET_LENGTH = 32

# Signatures over checkpoints start with this, so a checkpoint's signature can never pass for a row hash.
CHECKPOINT_DOMAIN = b"circles-audit-checkpoint\n"


@dataclass(frozen=True)
class Key:
    id: str
    secret: bytes


def parse_keys(entries: Iterable[str]) -> list[Key]:
    """Keys from "id:secret" entries, newest first. A ValueError says what is wrong, never the secret."""
    keys: list[Key] = []
    for position, entry in enumerate(entries, start=1):
        key_id, separator, secret = entry.partition(":")
        if not separator or not KEY_ID.match(key_id):
            raise ValueError(
                f"AUDIT_HMAC_KEYS entry {position} must be 'id:secret' with an id of 1-32 letters, "
                "digits, '.', '_' or '-'"
            )
        if len(secret) < MINIMUM_SECRET_LENGTH:
            raise ValueError(
                f"AUDIT_HMAC_KEYS key {key_id!r} is too short: use at least {MINIMUM_SECRET_LENGTH} "
                "random characters"
            )
        if any(key.id == key_id for key in keys):
            raise ValueError(f"AUDIT_HMAC_KEYS names key {key_id!r} twice")
        keys.append(Key(key_id, secret.encode()))
    if not keys:
        raise ValueError("AUDIT_HMAC_KEYS is empty: the audit trail needs at least one key")
    return keys


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
    key_id: str
    previous_hash: str


def _utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def row_hash(row: Row, secret: bytes) -> str:
    """HMAC-SHA256, keyed with `secret`, over the row's fields and the previous row's hash."""
    parts = [
        _utc(row.at),
        "" if row.actor_id is None else str(row.actor_id),
        row.action,
        "" if row.subject_id is None else str(row.subject_id),
        row.object_ref,
        row.outcome,
        row.client_address or "",
        row.key_id,
        row.previous_hash,
    ]
    # The unit separator cannot appear in any field (codes, numbers, addresses, key ids), so the join is
    # unambiguous.
    return hmac.new(secret, "\x1f".join(parts).encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Break:
    row_id: int
    reason: str


def first_break(rows: Iterable[tuple[int, Row, str]], secrets: Mapping[str, bytes]) -> Break | None:
    """The first row, in id order, whose link or hash does not match; None when the chain is whole.

    `rows` yields (id, content, stored hash); `secrets` maps key ids to secrets. A row made with a key
    that is not in `secrets` is a break: it cannot be checked.
    """
    expected_previous = GENESIS
    for row_id, row, stored in rows:
        if row.previous_hash != expected_previous:
            return Break(row_id, "its previous-row hash does not match the row before it")
        secret = secrets.get(row.key_id)
        if secret is None:
            return Break(row_id, f"it names key {row.key_id!r}, which is not in AUDIT_HMAC_KEYS")
        if not hmac.compare_digest(row_hash(row, secret), stored):
            return Break(row_id, "its content does not match its hash")
        expected_previous = stored
    return None


# --- Checkpoints ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Checkpoint:
    """The head of the chain at one moment: how many rows, and the newest row's id and hash."""

    rows: int
    last_id: int | None
    last_hash: str
    at: dt.datetime
    key_id: str

    def fields(self) -> dict:
        return {
            "at": _utc(self.at),
            "key_id": self.key_id,
            "last_hash": self.last_hash,
            "last_id": self.last_id,
            "rows": self.rows,
        }


def _signature(fields: dict, secret: bytes) -> str:
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()
    return hmac.new(secret, CHECKPOINT_DOMAIN + canonical, hashlib.sha256).hexdigest()


def checkpoint_line(checkpoint: Checkpoint, secret: bytes) -> str:
    """One line of JSON: the checkpoint's fields and their signature (no line break)."""
    fields = checkpoint.fields()
    return json.dumps({**fields, "signature": _signature(fields, secret)}, sort_keys=True)


class UntrustedCheckpoint(ValueError):
    """A checkpoint line that cannot be read or whose signature does not hold."""


def read_checkpoint(line: str, secrets: Mapping[str, bytes]) -> Checkpoint:
    """The checkpoint in `line` (a JSON object, possibly after a log prefix) once its signature holds.

    Raises UntrustedCheckpoint with the reason otherwise.
    """
    start = line.find("{")
    if start < 0:
        raise UntrustedCheckpoint("it is not a checkpoint")
    try:
        data, _ = json.JSONDecoder().raw_decode(line[start:])
        fields = {name: data[name] for name in ("at", "key_id", "last_hash", "last_id", "rows")}
        signature = data["signature"]
    except (ValueError, KeyError, TypeError):
        raise UntrustedCheckpoint("it is not a checkpoint") from None
    secret = secrets.get(fields["key_id"]) if isinstance(fields["key_id"], str) else None
    if secret is None:
        raise UntrustedCheckpoint(f"it names key {fields['key_id']!r}, which is not in AUDIT_HMAC_KEYS")
    if not isinstance(signature, str) or not hmac.compare_digest(_signature(fields, secret), signature):
        raise UntrustedCheckpoint("its signature does not match")
    # A correct signature was made by us, from values of these types.
    return Checkpoint(
        rows=fields["rows"],
        last_id=fields["last_id"],
        last_hash=fields["last_hash"],
        at=dt.datetime.strptime(fields["at"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.UTC),
        key_id=fields["key_id"],
    )


@dataclass(frozen=True)
class KeptRows:
    """What the table holds now, measured against one checkpoint."""

    rows_up_to_checkpoint: int  # rows whose id is at most the checkpoint's last id
    hash_at_checkpoint: str | None  # the hash of the checkpoint's last row, None if that row is gone
    newest_kept_id: int | None  # the newest row whose id is at most the checkpoint's last id


def compare_with_checkpoint(checkpoint: Checkpoint, kept: KeptRows) -> str | None:
    """What does not match between the table and a checkpoint, in one sentence; None when all of it does."""
    when = _utc(checkpoint.at)
    if checkpoint.rows == 0 or checkpoint.last_id is None:
        return None
    missing = checkpoint.rows - kept.rows_up_to_checkpoint
    if kept.hash_at_checkpoint is None:
        after = "" if kept.newest_kept_id is None else f" after #{kept.newest_kept_id}"
        return (
            f"The audit trail was cut short: the checkpoint of {when} counted {checkpoint.rows} rows up to "
            f"#{checkpoint.last_id}, and the newest {missing} rows{after} are missing."
        )
    if not hmac.compare_digest(kept.hash_at_checkpoint, checkpoint.last_hash):
        return (
            f"Audit row #{checkpoint.last_id} does not match the checkpoint of {when}: its hash differs, "
            "so the chain was rewritten up to it."
        )
    if missing:
        return (
            f"The checkpoint of {when} counted {checkpoint.rows} rows up to #{checkpoint.last_id}; "
            f"{kept.rows_up_to_checkpoint} of them are there now."
        )
    return None
