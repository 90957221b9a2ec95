"""Database triggers that refuse UPDATE and DELETE on the audit trail, on PostgreSQL and on SQLite.

Installed by migration 0002 (and again by 0003 and 0004, which re-chain the rows). Only `manage.py flush`
(which empties the whole database) lifts them, for the moment it runs; see the flush command in this app.

SQLite's `INSERT OR REPLACE` (and `REPLACE INTO`) deletes the row it collides with and inserts the new
one; that delete fires no DELETE trigger (SQLite fires them for REPLACE only under
`PRAGMA recursive_triggers`, which is off by default and per connection). So on SQLite INSERT itself is
checked: it must not reuse or precede an existing id, nor reuse an existing hash (the other unique
column a REPLACE could collide with). In a BEFORE INSERT trigger an id left to SQLite reads as -1; the
AFTER INSERT trigger sees the real id and catches an explicit -1 too. Since migration 0004 an AFTER
INSERT trigger also refuses a row whose previous hash is not that of the newest row of its chain before
it: SQLite writes one transaction at a time, so that row is always the one before it.
"""

TABLE = "audit_auditevent"

SQLITE_INSTALL = [
    f"""CREATE TRIGGER IF NOT EXISTS {TABLE}_no_update BEFORE UPDATE ON {TABLE}
        BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only: UPDATE refused'); END""",
    f"""CREATE TRIGGER IF NOT EXISTS {TABLE}_no_delete BEFORE DELETE ON {TABLE}
        BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only: DELETE refused'); END""",
    # The table name is a constant, not input.
    f"""CREATE TRIGGER IF NOT EXISTS {TABLE}_no_reuse BEFORE INSERT ON {TABLE}
        WHEN (NEW.id <> -1 AND NEW.id <= (SELECT MAX(id) FROM {TABLE}))
            OR EXISTS (SELECT 1 FROM {TABLE} WHERE hash = NEW.hash)
        BEGIN
            SELECT RAISE(ABORT, 'the audit trail is append-only: INSERT reusing an id or hash refused');
        END""",  # noqa: S608
    f"""CREATE TRIGGER IF NOT EXISTS {TABLE}_in_order AFTER INSERT ON {TABLE}
        WHEN NEW.id <= 0 OR EXISTS (SELECT 1 FROM {TABLE} WHERE id > NEW.id)
        BEGIN
            SELECT RAISE(ABORT, 'the audit trail is append-only: INSERT before an existing id refused');
        END""",  # noqa: S608
]
# Needs the columns migration 0004 added.
SQLITE_INSTALL_CHAINS_PER_MEMBER = [
    f"""CREATE TRIGGER IF NOT EXISTS {TABLE}_in_chain AFTER INSERT ON {TABLE}
        WHEN NEW.previous_hash IS NOT COALESCE((
                SELECT hash FROM {TABLE} WHERE chain = NEW.chain AND id < NEW.id ORDER BY id DESC LIMIT 1),
                '{"0" * 64}')
        BEGIN
            SELECT RAISE(ABORT,
                'the audit trail is append-only: INSERT not following the newest row of its chain refused');
        END""",  # noqa: S608
]
SQLITE_DROP = [
    f"DROP TRIGGER IF EXISTS {TABLE}_{name}"
    for name in ("no_update", "no_delete", "no_reuse", "in_order", "in_chain")
]

POSTGRES_INSTALL = [
    """CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'the audit trail is append-only: % refused', TG_OP; END $$""",
    f"DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE}",
    f"""CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE}
        FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()""",
    f"DROP TRIGGER IF EXISTS {TABLE}_no_truncate ON {TABLE}",
    f"""CREATE TRIGGER {TABLE}_no_truncate BEFORE TRUNCATE ON {TABLE}
        FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()""",
]
POSTGRES_DROP = [
    f"DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE}",
    f"DROP TRIGGER IF EXISTS {TABLE}_no_truncate ON {TABLE}",
]


def _statements(connection, install: bool, chains_per_member: bool = True) -> list[str]:
    if connection.vendor == "postgresql":
        return POSTGRES_INSTALL if install else POSTGRES_DROP
    if connection.vendor == "sqlite":
        if not install:
            return SQLITE_DROP
        return SQLITE_INSTALL + (SQLITE_INSTALL_CHAINS_PER_MEMBER if chains_per_member else [])
    raise NotImplementedError(f"No append-only triggers for {connection.vendor}")


def install(connection, *, chains_per_member: bool = True) -> None:
    """`chains_per_member=False` is for the migrations before 0004, whose table has no `chain` yet."""
    with connection.cursor() as cursor:
        for statement in _statements(connection, install=True, chains_per_member=chains_per_member):
            cursor.execute(statement)


def drop(connection) -> None:
    with connection.cursor() as cursor:
        for statement in _statements(connection, install=False):
            cursor.execute(statement)
