"""Checkpoints: the signed head of the audit chain, written outside the database.

The worker writes one every AUDIT_CHECKPOINT_MINUTES (and `manage.py audit_checkpoint` on demand) to the
file AUDIT_CHECKPOINT_PATH, one JSON line each, or, when that setting is "log", as a log line on the
logger "circles.audit.checkpoint". `manage.py verify_audit` compares the table with the latest checkpoint
whose signature holds, so rows removed from the end of the chain are found, which the chain alone
cannot show.
"""

import datetime as dt
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db.models import Count, Max

from circles.audit import logic
from circles.audit.models import AuditEvent
from circles.audit.trail import signing_key, verification_secrets

LOG = "log"  # the AUDIT_CHECKPOINT_PATH that sends checkpoints to the log instead of a file
log = logging.getLogger("circles.audit.checkpoint")
worker_log = logging.getLogger(__name__)


def current(now: dt.datetime, key_id: str) -> logic.Checkpoint:
    """The head of the chain now. Rows are immutable, so the last row's hash cannot change after the count."""
    head = AuditEvent.objects.aggregate(rows=Count("id"), last_id=Max("id"))
    last_hash = ""
    if head["last_id"] is not None:
        last_hash = AuditEvent.objects.values_list("hash", flat=True).get(pk=head["last_id"])
    return logic.Checkpoint(
        rows=head["rows"], last_id=head["last_id"], last_hash=last_hash, at=now, key_id=key_id
    )


def write(now: dt.datetime) -> logic.Checkpoint:
    """Signs the head of the chain and appends it to AUDIT_CHECKPOINT_PATH (or logs it). Raises OSError."""
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
    """The worker's periodic job. A file that cannot be written is logged, never stops the worker."""
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
    """What in the table does not match the checkpoint, in one sentence; None when it all does."""
    if checkpoint.last_id is None:
        return None
    up_to = AuditEvent.objects.filter(id__lte=checkpoint.last_id).aggregate(
        rows=Count("id"), newest=Max("id")
    )
    kept_hash = AuditEvent.objects.filter(pk=checkpoint.last_id).values_list("hash", flat=True).first()
    return logic.compare_with_checkpoint(
        checkpoint,
        logic.KeptRows(
            rows_up_to_checkpoint=up_to["rows"], hash_at_checkpoint=kept_hash, newest_kept_id=up_to["newest"]
        ),
    )
