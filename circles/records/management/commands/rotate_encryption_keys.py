"""`manage.py rotate_encryption_keys`: re-encrypts every encrypted value under the newest key."""

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import connections, router

from circles.lib.encryption import DecryptionError, encrypted_fields, keyring, rewrite_columns, rotate_stored


class Command(BaseCommand):
    help = (
        "Re-encrypt all free text stored encrypted under the first key of FIELD_ENCRYPTION_KEYS, so that "
        "older keys can be removed. Safe to run again: values already under the first key are left alone."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500, help="Rows per transaction (default 500).")

    def handle(self, *args, batch_size: int, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        keyring()  # a bad key configuration stops here, before any row is touched
        total = 0
        for model in apps.get_models():
            fields = encrypted_fields(model)
            if not fields:
                continue
            connection = connections[router.db_for_write(model)]
            try:
                changed = rewrite_columns(
                    connection, model, [field.name for field in fields], rotate_stored, batch_size=batch_size
                )
            except DecryptionError as error:
                raise CommandError(
                    f"{model._meta.label}: {error} Batches written before this one are already re-encrypted; "
                    "put back the missing key and run the command again."
                ) from error
            total += changed
            names = ", ".join(field.name for field in fields)
            self.stdout.write(f"{model._meta.label} ({names}): {changed} rows re-encrypted")
        self.stdout.write(f"Done: {total} rows re-encrypted under the first key.")
