"""`manage.py verify_audit`: walks the audit hash chain and names the first row that does not match."""

from django.core.management.base import BaseCommand, CommandError

from circles.audit.models import AuditEvent
from circles.audit.trail import first_break


class Command(BaseCommand):
    help = "Check that no audit row was changed, removed or inserted out of order."

    def handle(self, *args, **options):
        found = first_break()
        if found is not None:
            raise CommandError(f"Audit row {found.row_id} does not match: {found.reason}.")
        count = AuditEvent.objects.count()
        self.stdout.write(f"The audit trail is intact: {count} rows checked.")
