"""`manage.py flush` empties every table, the audit trail included.

The append-only triggers refuse that, so this lifts them for the flush and puts them back after. It is
Django's own flush otherwise; the test runner uses it to clean up between browser tests.
"""

from django.core.management.commands.flush import Command as FlushCommand
from django.db import connections

from circles.audit import triggers


class Command(FlushCommand):
    def handle(self, **options):
        connection = connections[options["database"]]
        triggers.drop(connection)
        try:
            super().handle(**options)
        finally:
            triggers.install(connection)
