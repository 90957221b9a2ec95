"""UPDATE and DELETE on the audit trail are refused by the database itself."""

from django.db import migrations

from circles.audit import triggers


def install(apps, schema_editor):
    triggers.install(schema_editor.connection, chains_per_member=False)


def drop(apps, schema_editor):
    triggers.drop(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunPython(install, drop)]
