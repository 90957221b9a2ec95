"""The audit trail's keyed hash chains and its checkpoints, as pure functions (keys are passed in).

The trail is one chain per member: a row joins the chain of the member it is about (its subject), or,
about nobody, of the member who acted; rows with neither share chain 0. A row's hash is an HMAC-SHA256,
under a key that lives only in the environment, over the row's id and content, its chain and the hash
of the row before it in that chain. Without the key nobody can recompute a chain after changing,
removing or moving a row. Writers about different members never wait for each other.

A checkpoint is the head of the whole trail up to one id: the row count, the last id and hash, and a
digest of every chain's (key, rows, last id, last hash) as of that id. It is signed with the same keys
and kept outside the database, so rows removed from the end of any chain are found too.
"""

import datetime as dt
import hashlib
import hmac
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

GENESIS = "0" * 64  # the "previous hash" of the first row of a chain
SHARED_CHAIN = 0  # the chain of rows about nobody and by nobody (account ids start at 1)

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


def chain_of(actor_id: int | None, subject_id: int | None) -> int:
    """The chain a row joins: its subject's; about nobody, its actor's; with neither, the shared chain."""
    if subject_id is not None:
        return subject_id
    if actor_id is not None:
        return actor_id
    return SHARED_CHAIN


@dataclass(frozen=True)
class Row:
    """What a row's hash covers, in plain values."""

    id: int  # taken before the row is written, once its chain is locked
    at: dt.datetime
    actor_id: int | None
    action: str
    subject_id: int | None
    object_ref: str
    outcome: str
    client_address: str | None
    key_id: str
    chain: int
    previous_hash: str  # the hash of the row before it in its chain


def _utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def row_hash(row: Row, secret: bytes) -> str:
    """HMAC-SHA256, keyed with `secret`, over the row's id, fields, chain and the previous row's hash.

    The id is covered, so the order of the trail holds across chains too: a row moved to another place
    in the trail, even between rows of other chains, no longer matches its hash.
    """
    parts = [
        str(row.id),
        _utc(row.at),
        "" if row.actor_id is None else str(row.actor_id),
        row.action,
        "" if row.subject_id is None else str(row.subject_id),
        row.object_ref,
        row.outcome,
        row.client_address or "",
        row.key_id,
        str(row.chain),
        row.previous_hash,
    ]
    # The unit separator cannot appear in any field (codes, numbers, addresses, key ids), so the join is
    # unambiguous.
    return hmac.new(secret, "\x1f".join(parts).encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Break:
    row_id: int
    reason: str


def first_break(rows: Iterable[tuple[Row, str]], secrets: Mapping[str, bytes]) -> Break | None:
    """The first row, in id order, whose link or hash does not match; None when every chain is whole.

    `rows` yields (content, stored hash) in id order; `secrets` maps key ids to secrets. The newest row
    of each chain so far is kept, so a row removed from the middle of a chain breaks the link of the
    next row of its chain. A row made with a key that is not in `secrets` is a break: it cannot be
    checked.
    """
    newest: dict[int, str] = {}  # chain -> hash of its newest row so far
    for row, stored in rows:
        if row.chain != chain_of(row.actor_id, row.subject_id):
            return Break(row.id, f"it is in chain {row.chain}, not in that of the member it names")
        if row.previous_hash != newest.get(row.chain, GENESIS):
            return Break(row.id, "its previous-row hash does not match the row before it in its chain")
        secret = secrets.get(row.key_id)
        if secret is None:
            return Break(row.id, f"it names key {row.key_id!r}, which is not in AUDIT_HMAC_KEYS")
        if not hmac.compare_digest(row_hash(row, secret), stored):
            return Break(row.id, "its content does not match its hash")
        newest[row.chain] = stored
    return None


# --- Checkpoints ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChainHead:
    """One chain up to some id: how many rows it has there, and its newest row's id and hash."""

    chain: int
    rows: int
    last_id: int
    last_hash: str


@dataclass(frozen=True)
class TrailHead:
    """The whole trail up to some id: what a checkpoint signs, and what verify_audit measures again."""

    rows: int
    last_id: int | None  # the newest row up to that id
    last_hash: str  # its hash ("" with no rows)
    chains: int
    heads: str  # SHA-256 over every chain's (key, rows, last id, last hash), in the order of the keys


def trail_head(chains: Iterable[ChainHead]) -> TrailHead:
    """The head of the trail from the heads of its chains, given in the order of their keys."""
    digest = hashlib.sha256()
    rows, count, last = 0, 0, None
    for head in chains:
        digest.update(f"{head.chain}\x1f{head.rows}\x1f{head.last_id}\x1f{head.last_hash}\n".encode())
        rows, count = rows + head.rows, count + 1
        if last is None or head.last_id > last.last_id:
            last = head
    return TrailHead(
        rows=rows,
        last_id=None if last is None else last.last_id,
        last_hash="" if last is None else last.last_hash,
        chains=count,
        heads=digest.hexdigest(),
    )


@dataclass(frozen=True)
class Checkpoint:
    """The head of the trail at one moment, as of its newest row then (`last_id`).

    `chains` and `heads` are None in a checkpoint written before the trail had one chain per member
    (migration audit.0004 gave every row a new hash): only its row count can be compared.
    """

    rows: int
    last_id: int | None
    last_hash: str
    at: dt.datetime
    key_id: str
    chains: int | None = None
    heads: str | None = None

    @property
    def before_chains_per_member(self) -> bool:
        return self.heads is None

    def fields(self) -> dict:
        fields = {
            "at": _utc(self.at),
            "key_id": self.key_id,
            "last_hash": self.last_hash,
            "last_id": self.last_id,
            "rows": self.rows,
        }
        if not self.before_chains_per_member:
            fields |= {"chains": self.chains, "heads": self.heads}
        return fields


def checkpoint_of(head: TrailHead, at: dt.datetime, key_id: str) -> Checkpoint:
    return Checkpoint(
        rows=head.rows,
        last_id=head.last_id,
        last_hash=head.last_hash,
        at=at,
        key_id=key_id,
        chains=head.chains,
        heads=head.heads,
    )


def _signature(fields: dict, secret: bytes) -> str:
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()
    return hmac.new(secret, CHECKPOINT_DOMAIN + canonical, hashlib.sha256).hexdigest()


def checkpoint_line(checkpoint: Checkpoint, secret: bytes) -> str:
    """One line of JSON: the checkpoint's fields and their signature (no line break)."""
    fields = checkpoint.fields()
    return json.dumps({**fields, "signature": _signature(fields, secret)}, sort_keys=True)


class UntrustedCheckpoint(ValueError):
    """A checkpoint line that cannot be read or whose signature does not hold."""


FIELDS = ("at", "key_id", "last_hash", "last_id", "rows")
PER_MEMBER_FIELDS = ("chains", "heads")


def read_checkpoint(line: str, secrets: Mapping[str, bytes]) -> Checkpoint:
    """The checkpoint in `line` (a JSON object, possibly after a log prefix) once its signature holds.

    Raises UntrustedCheckpoint with the reason otherwise. The signature covers the fields present, so a
    checkpoint cannot be passed off as one from before the chains per member by removing fields.
    """
    start = line.find("{")
    if start < 0:
        raise UntrustedCheckpoint("it is not a checkpoint")
    try:
        data, _ = json.JSONDecoder().raw_decode(line[start:])
        names = FIELDS + (PER_MEMBER_FIELDS if "heads" in data else ())
        fields = {name: data[name] for name in names}
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
        chains=fields.get("chains"),
        heads=fields.get("heads"),
    )


def compare_with_checkpoint(checkpoint: Checkpoint, kept: TrailHead) -> str | None:
    """What does not match between the table and a checkpoint, in one sentence; None when all of it does.

    `kept` is what the table holds now up to the checkpoint's last id.
    """
    when = _utc(checkpoint.at)
    if checkpoint.rows == 0 or checkpoint.last_id is None:
        return None
    missing = checkpoint.rows - kept.rows
    if kept.last_id != checkpoint.last_id:
        after = "" if kept.last_id is None else f" after #{kept.last_id}"
        return (
            f"The audit trail was cut short: the checkpoint of {when} counted {checkpoint.rows} rows up to "
            f"#{checkpoint.last_id}, and the newest {missing} rows{after} are missing."
        )
    if checkpoint.before_chains_per_member:
        # Its hashes are those of the single chain that migration audit.0004 re-chained.
        return None if not missing else _count_differs(checkpoint, kept, when)
    if not hmac.compare_digest(kept.last_hash, checkpoint.last_hash):
        return (
            f"Audit row #{checkpoint.last_id} does not match the checkpoint of {when}: its hash differs, "
            "so its chain was rewritten up to it."
        )
    if missing:
        return _count_differs(checkpoint, kept, when)
    if not hmac.compare_digest(kept.heads, checkpoint.heads or ""):
        return (
            f"The members' chains up to #{checkpoint.last_id} do not match the checkpoint of {when}: at "
            "least one of them was rewritten, or its newest rows replaced, since."
        )
    return None


def _count_differs(checkpoint: Checkpoint, kept: TrailHead, when: str) -> str:
    now = (
        f"{kept.rows} of them are there now" if kept.rows < checkpoint.rows else f"there are {kept.rows} now"
    )
    return f"The checkpoint of {when} counted {checkpoint.rows} rows up to #{checkpoint.last_id}; {now}."
