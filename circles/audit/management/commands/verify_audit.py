"""`manage.py verify_audit`: walks the keyed audit hash chains (one per member) in id order, names the first
row that does not match, and compares the table with the latest signed checkpoint, naming rows cut from
the end of any chain."""

import datetime as dt
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from circles.audit import checkpoint
from circles.audit.models import AuditEvent
from circles.audit.trail import first_break


class Command(BaseCommand):
    help = (
        "Check that no audit row was changed, removed, moved or inserted out of order, and that none is "
        "missing from the end of any member's chain since the latest checkpoint."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--checkpoints",
            metavar="FILE",
            help="Checkpoint lines to compare with (default: AUDIT_CHECKPOINT_PATH). With "
            "AUDIT_CHECKPOINT_PATH=log, give the lines of the logger circles.audit.checkpoint here.",
        )

    def handle(self, *args, checkpoints=None, **options):
        problems: list[str] = []
        found = first_break()
        if found is not None:
            problems.append(f"Audit row {found.row_id} does not match: {found.reason}.")
        else:
            self.stdout.write(f"The audit trail is intact: {AuditEvent.objects.count()} rows checked.")
        problems += self._against_checkpoint(checkpoints)
        if problems:
            raise CommandError("\n".join(problems))

    def _against_checkpoint(self, path: str | None) -> list[str]:
        if path is None and settings.AUDIT_CHECKPOINT_PATH == checkpoint.LOG:
            self.stdout.write(
                "Checkpoints go to the log (AUDIT_CHECKPOINT_PATH=log): pass --checkpoints FILE with the "
                "lines of the logger circles.audit.checkpoint to compare the trail with them."
            )
            return []
        path = path or settings.AUDIT_CHECKPOINT_PATH
        if not Path(path).exists():
            self.stdout.write(f"No checkpoint file at {path} yet: only the chain was checked.")
            return self._overdue(f"there is no checkpoint file at {path}")
        try:
            kept = checkpoint.read(path)
        except OSError as error:
            return [f"Could not read the checkpoints in {path}: {error.strerror or error}."]
        problems = [f"Checkpoint {path} {reason}; that line is not trusted." for reason in kept.untrusted]
        if kept.latest is None:
            self.stdout.write(f"No trusted checkpoint in {path}: only the chain was checked.")
            return problems + self._overdue(f"there is no trusted checkpoint in {path}")
        mismatch = checkpoint.compare(kept.latest)
        if mismatch is not None:
            problems.append(mismatch)
        elif timezone.now() - kept.latest.at > self._grace():
            problems.append(
                f"The latest trusted checkpoint in {path} is from {kept.latest.at:%Y-%m-%d %H:%M} UTC, "
                "more than twice AUDIT_CHECKPOINT_MINUTES ago: rows cut from the end since then would go "
                "unseen. Is the worker running, and can it write the file?"
            )
        else:
            latest = kept.latest
            self.stdout.write(
                f"It holds every row of the latest checkpoint ({path}, line {kept.latest_line}, "
                f"{latest.at:%Y-%m-%d %H:%M} UTC: {latest.rows} rows up to #{latest.last_id})."
            )
            if latest.before_chains_per_member:
                self.stdout.write(
                    "That checkpoint was written before the audit trail had one chain per member: its row "
                    "count was compared, not its hashes (migration audit.0004 replaced them). The next "
                    "checkpoint will cover both; `manage.py audit_checkpoint` writes one now."
                )
        return problems

    @staticmethod
    def _grace() -> dt.timedelta:
        return dt.timedelta(minutes=2 * settings.AUDIT_CHECKPOINT_MINUTES)

    def _overdue(self, why: str) -> list[str]:
        """Without a checkpoint, a trail cut from the end looks whole: that is a problem once the trail is
        older than two checkpoint intervals (a new deployment has had no time to write one)."""
        oldest = AuditEvent.objects.order_by("id").values_list("at", flat=True).first()
        if oldest is None or timezone.now() - oldest <= self._grace():
            return []
        return [
            f"The trail has rows since {oldest:%Y-%m-%d %H:%M} UTC but {why}: rows cut from the end would go "
            "unseen. Is the worker running, and can it write AUDIT_CHECKPOINT_PATH?"
        ]
