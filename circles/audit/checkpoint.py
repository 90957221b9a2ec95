"""Checkpoints: the signed head of the audit trail, written outside the database.

Every worker writes one when it starts and every AUDIT_CHECKPOINT_MINUTES, whether or not it runs the
scheduler (and `manage.py audit_checkpoint` on demand), to the file AUDIT_CHECKPOINT_PATH, one JSON line
each, or, when that setting is "log", as a log line on the logger "circles.audit.checkpoint".
`manage.py verify_audit` compares the table with the latest checkpoint whose signature holds, so rows
removed from the end of any member's chain are found, which the chains alone cannot show.

A checkpoint describes the trail up to one id, its last: every chain's row count, newest id and hash
there. Rows of different members are written side by side, so a row with a smaller id may commit after
one with a larger id; the checkpoint therefore reads its last id at a moment when no audited write is in
flight (on PostgreSQL, by taking the lock every writer holds shared), and every row up to it is final.
"""

import datetime as dt
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max

from circles.audit import logic, triggers
from circles.audit.models import AuditEvent
from circles.audit.trail import CHAIN_LOCK_KEY, TRAIL_HEAD, signing_key, verification_secrets

LOG = "log"  # the AUDIT_CHECKPOINT_PATH that sends checkpoints to the log instead of a file
log = logging.getLogger("circles.audit.checkpoint")
worker_log = logging.getLogger(__name__)


# How long a checkpoint looks for a moment when no audited write is in flight before it queues for one.
QUIET_SECONDS = 5.0

# Each chain up to an id: its row count and its newest row (whose hash comes from the join).
CHAIN_HEADS = (
    f"SELECT newest.chain, chains.row_count, newest.id, newest.hash FROM {triggers.TABLE} AS newest "  # noqa: S608
    f"JOIN (SELECT chain, COUNT(*) AS row_count, MAX(id) AS last_id FROM {triggers.TABLE} WHERE id <= %s "
    "GROUP BY chain) AS chains ON newest.id = chains.last_id ORDER BY newest.chain"
)


def settled_last_id() -> int | None:
    """The newest id such that every row with an id up to it is committed, or never will be."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            _hold_trail_head()
        # On SQLite writers are one at a time and take ids in the order they commit: nothing to wait for.
        return AuditEvent.objects.aggregate(last=Max("id"))["last"]


def _hold_trail_head() -> None:
    """Takes alone the lock every audited write holds shared until it ends: once held, no row is in flight.

    It tries without queueing first, so that writers never wait behind a checkpoint; only a trail with
    writes always in flight for QUIET_SECONDS makes it queue, and new writes then wait for those.
    """
    deadline = time.monotonic() + QUIET_SECONDS
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", [CHAIN_LOCK_KEY, TRAIL_HEAD])
            if cursor.fetchone()[0]:
                return
            time.sleep(0.01)
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [CHAIN_LOCK_KEY, TRAIL_HEAD])


def head_as_of(last_id: int | None) -> logic.TrailHead:
    """The trail as the table holds it now, up to `last_id`: row count, newest row, and every chain's head."""
    if last_id is None:
        return logic.trail_head([])
    with connection.cursor() as cursor:
        cursor.execute(CHAIN_HEADS, [last_id])
        return logic.trail_head(logic.ChainHead(*found) for found in cursor.fetchall())


def current(now: dt.datetime, key_id: str) -> logic.Checkpoint:
    """The head of the trail now, up to the newest row that is final."""
    return logic.checkpoint_of(head_as_of(settled_last_id()), now, key_id)


def write(now: dt.datetime) -> logic.Checkpoint:
    """Signs the head of the trail and appends it to AUDIT_CHECKPOINT_PATH (or logs it). Raises OSError."""
    key = signing_key()
    checkpoint = current(now, key.id)
    line = logic.checkpoint_line(checkpoint, key.secret)
    destination = settings.AUDIT_CHECKPOINT_PATH
    if destination == LOG:
        log.info("%s", line)
        return checkpoint
    # One write of one short line with O_APPEND: lines from several workers never interleave.
    descriptor = os.open(destination, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(descriptor, (line + "\n").encode())
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    return checkpoint


def write_audit_checkpoint(now: dt.datetime) -> int:
    """Every worker's own periodic job. A file that cannot be written is logged, never stops the worker."""
    try:
        write(now)
    except OSError:
        worker_log.exception("audit checkpoint: could not write to %s", settings.AUDIT_CHECKPOINT_PATH)
        return 0
    return 1


@dataclass
class CheckpointFile:
    """A checkpoint file read: the latest checkpoint whose signature holds, and the lines that failed."""

    latest: logic.Checkpoint | None = None
    latest_line: int | None = None
    untrusted: list[str] = field(default_factory=list)  # "line 7: its signature does not match"


def read(path: str | Path) -> CheckpointFile:
    """Reads every line of a checkpoint file (or of lines taken from the log). Raises OSError."""
    secrets = verification_secrets()
    found = CheckpointFile()
    with open(path, encoding="utf-8", errors="replace") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                checkpoint = logic.read_checkpoint(line, secrets)
            except logic.UntrustedCheckpoint as untrusted:
                found.untrusted.append(f"line {number}: {untrusted}")
                continue
            found.latest, found.latest_line = checkpoint, number
    return found


def compare(checkpoint: logic.Checkpoint) -> str | None:
    """What in the table does not match the checkpoint, in one sentence; None when it all does.

    Rows added since, with larger ids, do not count: a checkpoint older than the newest rows is checked
    against the trail as it stood at its last id.
    """
    if checkpoint.last_id is None:
        return None
    return logic.compare_with_checkpoint(checkpoint, head_as_of(checkpoint.last_id))
