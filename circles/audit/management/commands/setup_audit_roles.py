"""`manage.py setup_audit_roles --app-role circles`: on PostgreSQL, gives the audit table to a separate
owner role, so the role the application connects as can only INSERT and SELECT audit rows.

The owner of a table may change or empty it and disable its triggers whatever the triggers say, so the
application must not own it. Run this as a superuser after `migrate` (docs/deploy.md, Audit trail); it
is safe to run again after every migration of the audit app.
"""

import re

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction

from circles.audit.triggers import TABLE

FUNCTION = "audit_refuse_change()"
# Plain lower-case names only: they are written into SQL, and PostgreSQL folds unquoted names to lower case.
ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
# Built-in roles whose members may write to every table: an application role in one of them is not limited.
WRITE_EVERYTHING_ROLES = ("pg_write_all_data",)


class Command(BaseCommand):
    help = (
        "PostgreSQL: make a separate role own the audit table, its id sequence and its trigger function, and "
        "let the application's role only SELECT and INSERT audit rows. Run as a superuser, after migrate."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--app-role", required=True, help="The role the web and worker processes connect as."
        )
        parser.add_argument(
            "--owner-role",
            default="circles_audit_owner",
            help="The role that will own the audit table (created without login if missing).",
        )
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args, app_role, owner_role, database, **options):
        connection = connections[database]
        if connection.vendor != "postgresql":
            raise CommandError(
                f"setup_audit_roles is for PostgreSQL; this database is {connection.vendor}, which has no "
                "roles. There the append-only triggers, the keyed chain and the checkpoints protect the "
                "audit trail (docs/deploy.md, Audit trail)."
            )
        for name in (app_role, owner_role):
            if not ROLE_NAME.match(name):
                raise CommandError(f"{name!r} is not a plain role name (lower-case letters, digits, '_').")
        if app_role == owner_role:
            raise CommandError("The owner role and the application role must be two different roles.")
        try:
            with transaction.atomic(using=database), connection.cursor() as cursor:
                done = self._set_up(cursor, connection.ops.quote_name, app_role, owner_role)
        except DatabaseError as error:
            raise CommandError(
                f"PostgreSQL refused: {error}".strip()
                + "\nRun it as a superuser (DATABASE_URL=postgres://postgres@…). Nothing was changed."
            ) from error
        for line in done:
            self.stdout.write(line)

    def _set_up(self, cursor, quote, app_role: str, owner_role: str) -> list[str]:
        done: list[str] = []
        app, owner = quote(app_role), quote(owner_role)
        cursor.execute("SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = %s", [app_role])
        found = cursor.fetchone()
        if found is None:
            raise CommandError(f"There is no role {app_role}: give the role the application connects as.")
        if found[0]:
            raise CommandError(
                f"{app_role} is a superuser (or bypasses row security) and can change anything: run the "
                "application as an ordinary role."
            )
        cursor.execute("SELECT to_regclass(%s)", [TABLE])
        if cursor.fetchone()[0] is None:
            raise CommandError(f"There is no table {TABLE} yet: run `manage.py migrate` first.")

        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [owner_role])
        if cursor.fetchone() is None:
            cursor.execute(f"CREATE ROLE {owner} NOLOGIN")
            done.append(f"Created role {owner_role}, which cannot sign in.")
        else:
            done.append(f"Role {owner_role} exists; kept as it is.")
        cursor.execute("SELECT pg_has_role(%s, %s, 'MEMBER')", [app_role, owner_role])
        if cursor.fetchone()[0]:
            raise CommandError(
                f"{app_role} is a member of {owner_role}, so it would hold the owner's rights: "
                f"REVOKE {owner_role} FROM {app_role} first."
            )
        for everything in WRITE_EVERYTHING_ROLES:
            cursor.execute(
                "SELECT to_regrole(%s) IS NOT NULL AND pg_has_role(%s, %s, 'MEMBER')",
                [everything, app_role, everything],
            )
            if cursor.fetchone()[0]:
                raise CommandError(
                    f"{app_role} is a member of {everything}, which may write to every table: "
                    f"REVOKE {everything} FROM {app_role} first."
                )

        # The table's owner moves its identity sequence and its indexes along with it.
        cursor.execute(f"ALTER TABLE {TABLE} OWNER TO {owner}")
        cursor.execute(f"ALTER FUNCTION {FUNCTION} OWNER TO {owner}")
        done.append(f"{TABLE}, its id sequence and {FUNCTION} now belong to {owner_role}.")

        cursor.execute(f"REVOKE ALL ON TABLE {TABLE} FROM PUBLIC, {app}")
        cursor.execute(f"GRANT SELECT, INSERT ON TABLE {TABLE} TO {app}")
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [TABLE])
        sequence = cursor.fetchone()[0]
        if sequence:
            cursor.execute(f"REVOKE ALL ON SEQUENCE {sequence} FROM PUBLIC, {app}")
            cursor.execute(f"GRANT USAGE ON SEQUENCE {sequence} TO {app}")
        done.append(
            f"{app_role} may only SELECT and INSERT audit rows (and take ids from the sequence): no UPDATE, "  # noqa: S608
            "DELETE or TRUNCATE, and it cannot alter, drop or disable the triggers of the table."
        )

        # Whoever owns the schema may drop any table in it, so the application must not own that either.
        cursor.execute(
            "SELECT n.nspname, pg_has_role(%s, n.nspowner, 'MEMBER') FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = %s::regclass",
            [app_role, TABLE],
        )
        schema, app_owns_schema = cursor.fetchone()
        if app_owns_schema:
            cursor.execute(f"ALTER SCHEMA {quote(schema)} OWNER TO {owner}")
            cursor.execute(f"GRANT USAGE, CREATE ON SCHEMA {quote(schema)} TO {app}")
            done.append(
                f"Schema {schema} now belongs to {owner_role} (its owner could drop the audit table); "
                f"{app_role} keeps USAGE and CREATE on it, so its migrations still run."
            )
        cursor.execute(
            "SELECT current_database(), pg_has_role(%s, datdba, 'MEMBER') FROM pg_database "
            "WHERE datname = current_database()",
            [app_role],
        )
        name, app_owns_database = cursor.fetchone()
        if app_owns_database:
            done.append(
                f"Note: {app_role} owns the database {name}. It cannot touch the audit table now, but it "
                f"could drop the whole database; consider ALTER DATABASE {name} OWNER TO {owner_role}."
            )
        return done
