"""The audit trail becomes one chain per member, so that audited writes about different members never wait
for each other: each row gets `chain` (the member it is about; about nobody, the member who acted; with
neither, 0), and its hash now covers its id and its chain, and links to the row before it in its chain.

The rows already there are re-chained, each under the key it names, once the single chain they were
written in has been checked: if it is already broken, the migration stops and names the row rather than
seal a changed trail. The append-only triggers are lifted for the re-chaining and put back after, in
this one migration. Checkpoints written before it still count rows; their hashes are those replaced here.
"""

from django.conf import settings
from django.db import migrations, models

from circles.audit import logic, triggers
from circles.audit.migrations import _formats

CHUNK = 2000


def _rechain(apps, schema_editor, columns: tuple[str, ...], rechain_row) -> None:
    """Walks the rows in id order; `rechain_row(event, key)` checks a row against the chain it is in, or
    raises, then sets its new values. Changes `columns` of every row, a chunk at a time."""
    AuditEvent = apps.get_model("audit", "AuditEvent")
    keys = {key.id: key for key in logic.parse_keys(settings.AUDIT_HMAC_KEYS)}
    last_id = 0
    while chunk := list(AuditEvent.objects.filter(id__gt=last_id).order_by("id")[:CHUNK]):
        for event in chunk:
            key = keys.get(event.key_id)
            if key is None:
                _refuse(event, f"names key {event.key_id!r}, which is not in AUDIT_HMAC_KEYS (add it back)")
            rechain_row(event, key)
        # Plain UPDATEs by id: bulk_update's CASE expressions grow slow with the chunk's size.
        assignments = ", ".join(f"{column} = %s" for column in columns)
        with schema_editor.connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {triggers.TABLE} SET {assignments} WHERE id = %s",  # noqa: S608 — constants only
                [(*(getattr(event, column) for column in columns), event.pk) for event in chunk],
            )
        last_id = chunk[-1].pk


def _refuse(event, why: str):
    raise RuntimeError(
        f"Audit row {event.pk} {why}, so the trail is not re-chained. Keep a copy of this database for "
        "investigation; see docs/deploy.md, Audit trail."
    )


def chain_per_member(apps, schema_editor):
    previous = logic.GENESIS  # the one chain the rows were written in
    newest: dict[int, str] = {}  # each member's chain so far

    def rechain_row(event, key):
        nonlocal previous
        written = _formats.keyed_one_chain(event, key.id, key.secret, previous)
        if event.previous_hash != previous or written != event.hash:
            _refuse(event, "does not match the chain it was written in")
        previous = event.hash
        event.chain = _formats.chain_of(event)
        event.previous_hash = newest.get(event.chain, logic.GENESIS)
        event.hash = newest[event.chain] = _formats.keyed_per_member(
            event, key.secret, event.chain, event.previous_hash
        )

    _rechain(apps, schema_editor, ("chain", "previous_hash", "hash"), rechain_row)


def one_chain(apps, schema_editor):
    previous = logic.GENESIS
    newest: dict[int, str] = {}

    def rechain_row(event, key):
        nonlocal previous
        chain = _formats.chain_of(event)
        written = _formats.keyed_per_member(event, key.secret, chain, newest.get(chain, logic.GENESIS))
        if (
            event.chain != chain
            or event.previous_hash != newest.get(chain, logic.GENESIS)
            or written != event.hash
        ):
            _refuse(event, "does not match the chain it was written in")
        newest[chain] = event.hash
        event.previous_hash = previous
        event.hash = previous = _formats.keyed_one_chain(event, key.id, key.secret, previous)

    _rechain(apps, schema_editor, ("previous_hash", "hash"), rechain_row)


def install(apps, schema_editor):
    triggers.install(schema_editor.connection)


def install_before(apps, schema_editor):
    triggers.install(schema_editor.connection, chains_per_member=False)


def drop(apps, schema_editor):
    triggers.drop(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_keyed_chain")]

    operations = [
        migrations.RunPython(drop, install_before),
        migrations.AddField(
            model_name="auditevent",
            name="chain",
            field=models.BigIntegerField(default=0),
            preserve_default=False,
        ),
        migrations.RunPython(chain_per_member, one_chain),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(fields=["chain", "id"], name="audit_audit_chain_025a29_idx"),
        ),
        # On SQLite, adding the column rebuilt the table without its triggers; on both, they go back now.
        migrations.RunPython(install, drop),
    ]
