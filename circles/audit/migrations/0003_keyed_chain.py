"""The audit chain becomes keyed: each row records the key its HMAC was made with, and the rows already
there are re-chained under the current key (the first of AUDIT_HMAC_KEYS).

The append-only triggers are lifted for the re-chaining and put back after, in this one migration. The
old chain (plain SHA-256) is checked on the way: if it is already broken, the migration stops and names
the row, rather than sealing a changed trail under the new key.
"""

from django.conf import settings
from django.db import migrations, models

from circles.audit import logic, triggers
from circles.audit.migrations import _formats

CHUNK = 2000


def _rechain(apps, schema_editor, check, make) -> None:
    """Walks the rows in id order: `check(event, previous)` says whether a row holds in the old chain,
    `make(event, previous)` sets its new key id and returns its new hash."""
    AuditEvent = apps.get_model("audit", "AuditEvent")
    old_previous = new_previous = logic.GENESIS
    last_id = 0
    while chunk := list(AuditEvent.objects.filter(id__gt=last_id).order_by("id")[:CHUNK]):
        for event in chunk:
            if event.previous_hash != old_previous or not check(event, old_previous):
                raise RuntimeError(
                    f"Audit row {event.pk} does not match the chain it was written in, so it is not "
                    "re-chained. Keep a copy of this database for investigation; see docs/deploy.md, "
                    "Audit trail."
                )
            old_previous = event.hash
            event.previous_hash = new_previous
            event.hash = new_previous = make(event, new_previous)
        # Plain UPDATEs by id: bulk_update's CASE expressions grow slow with the chunk's size.
        with schema_editor.connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {triggers.TABLE} SET key_id = %s, previous_hash = %s, hash = %s WHERE id = %s",
                [(event.key_id, event.previous_hash, event.hash, event.pk) for event in chunk],
            )
        last_id = chunk[-1].pk


def rechain_with_key(apps, schema_editor):
    key = logic.parse_keys(settings.AUDIT_HMAC_KEYS)[0]

    def make(event, previous):
        event.key_id = key.id
        return _formats.keyed_one_chain(event, key.id, key.secret, previous)

    _rechain(
        apps,
        schema_editor,
        lambda event, previous: _formats.plain_one_chain(event, previous) == event.hash,
        make,
    )


def rechain_without_key(apps, schema_editor):
    keys = {key.id: key for key in logic.parse_keys(settings.AUDIT_HMAC_KEYS)}

    def check(event, previous):
        key = keys.get(event.key_id)
        return key is not None and _formats.keyed_one_chain(event, key.id, key.secret, previous) == event.hash

    def make(event, previous):
        event.key_id = ""
        return _formats.plain_one_chain(event, previous)

    _rechain(apps, schema_editor, check, make)


def install(apps, schema_editor):
    triggers.install(schema_editor.connection, chains_per_member=False)


def drop(apps, schema_editor):
    triggers.drop(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only_triggers")]

    operations = [
        migrations.RunPython(drop, install),
        migrations.AddField(
            model_name="auditevent",
            name="key_id",
            field=models.CharField(default="", max_length=32),
            preserve_default=False,
        ),
        migrations.RunPython(rechain_with_key, rechain_without_key),
        # On SQLite, adding the column rebuilt the table without its triggers; on both, they go back now.
        migrations.RunPython(install, drop),
    ]
