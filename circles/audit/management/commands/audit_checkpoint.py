"""`manage.py audit_checkpoint`: writes the signed head of the audit trail now (the worker does it on a
schedule, every AUDIT_CHECKPOINT_MINUTES)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from circles.audit import checkpoint


class Command(BaseCommand):
    help = (
        "Write a signed checkpoint of the audit trail (row count, last id and hash, and the head of every "
        "member's chain) outside the database."
    )

    def handle(self, *args, **options):
        destination = settings.AUDIT_CHECKPOINT_PATH
        try:
            written = checkpoint.write(timezone.now())
        except OSError as error:
            raise CommandError(f"Could not write the checkpoint to {destination}: {error}") from error
        where = "the log (circles.audit.checkpoint)" if destination == checkpoint.LOG else destination
        chains = "1 chain" if written.chains == 1 else f"{written.chains} chains"
        last = "no rows yet" if written.last_id is None else f"{written.rows} rows up to #{written.last_id}"
        last += f" in {chains}" if written.chains else ""
        self.stdout.write(f"Checkpoint written to {where}: {last}, key {written.key_id}.")
