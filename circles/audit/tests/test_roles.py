"""`setup_audit_roles`: on PostgreSQL the application's role may only INSERT and SELECT audit rows.

The roles are created inside the test's transaction, so they vanish with it and no other test database
sees them; `SET ROLE` makes every statement run with exactly the application role's privileges.
"""

import secrets
from contextlib import contextmanager
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from circles.audit.models import AuditEvent
from circles.audit.trail import first_break, record

postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL roles")


@pytest.fixture
def trail(riley, sam):
    for n in range(3):
        record("checkin.view", sam, subject=riley, object_ref=f"scope:mood{n}")
    return list(AuditEvent.objects.order_by("id"))


@pytest.fixture
def roles(db):
    """A throwaway application role (and a name for the owner role), gone when the test's transaction ends."""
    suffix = secrets.token_hex(4)
    app, owner = f"circles_test_app_{suffix}", f"circles_test_audit_owner_{suffix}"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {app} LOGIN")
    return app, owner


@contextmanager
def acting_as(role: str):
    with connection.cursor() as cursor:
        cursor.execute(f"SET ROLE {role}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")


def _setup(app: str, owner: str) -> str:
    out = StringIO()
    call_command("setup_audit_roles", app_role=app, owner_role=owner, stdout=out)
    return out.getvalue()


REFUSED = [
    "UPDATE audit_auditevent SET outcome = 'denied'",
    "DELETE FROM audit_auditevent",
    "TRUNCATE audit_auditevent",
    "ALTER TABLE audit_auditevent DISABLE TRIGGER ALL",
    "ALTER TABLE audit_auditevent DISABLE TRIGGER audit_auditevent_append_only",
    "DROP TRIGGER audit_auditevent_append_only ON audit_auditevent",
    "DROP TABLE audit_auditevent",
    "ALTER TABLE audit_auditevent RENAME TO audit_old",
    "CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "RETURN OLD; END $$",
]


@postgres_only
def test_the_application_role_can_insert_and_select_and_owns_nothing(trail, roles, riley):
    app, owner = roles
    said = _setup(app, owner)
    assert f"Created role {owner}" in said and f"{app} may only SELECT and INSERT" in said
    with acting_as(app):
        record("checkin.view", riley, subject=riley)  # the application's own write, sequence included
        assert AuditEvent.objects.count() == 4
        with connection.cursor() as cursor:
            cursor.execute("GRANT UPDATE ON audit_auditevent TO PUBLIC")  # only a warning: nothing granted
            cursor.execute("SELECT has_table_privilege('audit_auditevent', 'UPDATE')")
            assert cursor.fetchone() == (False,)
    assert first_break() is None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relowner::regrole::text FROM pg_class WHERE oid = 'audit_auditevent'::regclass "
            "UNION ALL SELECT proowner::regrole::text FROM pg_proc WHERE proname = 'audit_refuse_change'"
        )
        assert {owner_name for (owner_name,) in cursor.fetchall()} == {owner}


@postgres_only
@pytest.mark.parametrize("statement", REFUSED)
def test_the_application_role_cannot_change_or_unprotect_the_trail(trail, roles, statement):
    app, owner = roles
    _setup(app, owner)
    with acting_as(app):
        with pytest.raises(DatabaseError, match="permission denied|must be owner"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(statement)
    assert AuditEvent.objects.count() == 3
    assert first_break() is None


@postgres_only
def test_running_it_again_changes_nothing_more(trail, roles):
    app, owner = roles
    _setup(app, owner)
    again = _setup(app, owner)
    assert f"Role {owner} exists; kept as it is." in again
    with acting_as(app), pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent")


@postgres_only
def test_an_application_role_owning_the_schema_loses_it(trail, roles):
    """The owner of a schema may drop any table in it."""
    app, owner = roles
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER SCHEMA public OWNER TO {app}")
    said = _setup(app, owner)
    assert f"Schema public now belongs to {owner}" in said
    with acting_as(app):
        for statement in ("DROP TABLE audit_auditevent", "DROP SCHEMA public CASCADE"):
            with pytest.raises(DatabaseError, match="must be owner"), transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute(statement)
        with transaction.atomic(), connection.cursor() as cursor:  # its own migrations still create tables
            cursor.execute("CREATE TABLE circles_test_new_table (id integer)")


@postgres_only
def test_a_superuser_as_the_application_role_is_refused(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        (superuser,) = cursor.fetchone()
    with pytest.raises(CommandError, match="superuser"):
        _setup(superuser, "circles_audit_owner")


@postgres_only
def test_an_unknown_application_role_is_refused(db):
    with pytest.raises(CommandError, match="There is no role circles_nobody_here"):
        _setup("circles_nobody_here", "circles_audit_owner")


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the refusal on SQLite")
def test_on_sqlite_it_refuses_and_says_why(db):
    with pytest.raises(CommandError, match="setup_audit_roles is for PostgreSQL; this database is sqlite"):
        _setup("circles", "circles_audit_owner")
