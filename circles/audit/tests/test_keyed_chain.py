"""The chain is keyed: someone who can write to the database but has no key cannot rewrite the trail and
make it look whole; and on SQLite, INSERT OR REPLACE cannot rewrite a row past the triggers."""

import datetime as dt
import hashlib

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from circles.audit import logic, triggers
from circles.audit.models import AuditEvent
from circles.audit.trail import first_break, record, signing_key

OLD_KEY = "2025:an-older-key-still-kept-to-check-older-rows-0001"
NEW_KEY = "2026:the-newest-key-makes-every-new-row-0000000000000002"


@pytest.fixture
def trail(riley, sam):
    for n in range(5):
        record("checkin.view", sam, subject=riley, object_ref=f"scope:mood{n}")
    return list(AuditEvent.objects.order_by("id"))


def _plain_sha256(row: logic.Row) -> str:
    """The chain as it was before it had a key: anyone could compute it."""
    parts = [
        row.at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "" if row.actor_id is None else str(row.actor_id),
        row.action,
        "" if row.subject_id is None else str(row.subject_id),
        row.object_ref,
        row.outcome,
        row.client_address or "",
        row.previous_hash,
    ]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _guessed_key(row: logic.Row) -> str:
    return logic.row_hash(row, b"a-key-the-attacker-made-up-for-the-occasion")


def _own_key_id(row: logic.Row) -> str:
    """Claims a key id of the attacker's own, with the attacker's key."""
    return logic.row_hash(logic.Row(**{**row.__dict__, "key_id": "attacker"}), b"the-attacker-s-own-key")


def _rewrite_from(trail, index: int, object_ref: str, recompute) -> None:
    """Someone with database access but no key: lifts the triggers, changes one row's content and
    recomputes the hash of that row and of every row after it, so that every link matches again."""
    previous = trail[index - 1].hash
    triggers.drop(connection)
    try:
        with connection.cursor() as cursor:
            for position, event in enumerate(trail[index:]):
                row = logic.Row(
                    **{
                        **event.chain_row().__dict__,
                        "previous_hash": previous,
                        "object_ref": object_ref if position == 0 else event.object_ref,
                        "key_id": "attacker" if recompute is _own_key_id else event.key_id,
                    }
                )
                previous = recompute(row)
                cursor.execute(
                    "UPDATE audit_auditevent SET object_ref = %s, key_id = %s, previous_hash = %s, hash = %s "
                    "WHERE id = %s",
                    [row.object_ref, row.key_id, row.previous_hash, previous, event.pk],
                )
    finally:
        triggers.install(connection)


@pytest.mark.parametrize("recompute", [_plain_sha256, _guessed_key, _own_key_id])
def test_an_edit_with_every_later_hash_recomputed_without_the_key_is_found(trail, recompute):
    victim = trail[2]
    _rewrite_from(trail, 2, "scope:checked_in", recompute)
    assert AuditEvent.objects.get(pk=victim.pk).object_ref == "scope:checked_in"
    with pytest.raises(CommandError, match=f"Audit row {victim.pk} does not match"):
        call_command("verify_audit")


def test_rows_name_the_key_they_were_made_with_and_never_hold_it(trail):
    key = signing_key()
    assert {event.key_id for event in trail} == {key.id}
    stored = " ".join(str(value) for event in trail for value in event.__dict__.values())
    assert key.secret.decode() not in stored


def test_after_a_rotation_old_rows_are_checked_with_the_old_key(riley, sam, settings):
    settings.AUDIT_HMAC_KEYS = [OLD_KEY]
    record("checkin.view", sam, subject=riley)
    settings.AUDIT_HMAC_KEYS = [NEW_KEY, OLD_KEY]  # a new key first; the old one kept for checking
    record("checkin.view", sam, subject=riley)
    assert list(AuditEvent.objects.values_list("key_id", flat=True)) == ["2025", "2026"]
    assert first_break() is None

    settings.AUDIT_HMAC_KEYS = [NEW_KEY]  # the old key dropped too soon: its rows can no longer be checked
    found = first_break()
    assert found is not None and "names key '2025'" in found.reason


def test_a_malformed_key_list_is_refused_by_the_system_check(settings):
    from circles.audit.checks import check_audit_keys

    settings.AUDIT_HMAC_KEYS = ["no-separator-here"]
    assert [error.id for error in check_audit_keys(None)] == ["circles.E130"]
    settings.AUDIT_HMAC_KEYS = ["k:short"]
    assert "too short" in check_audit_keys(None)[0].msg
    settings.AUDIT_HMAC_KEYS = [NEW_KEY]
    assert check_audit_keys(None) == []


sqlite_only = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's REPLACE conflict resolution")

INSERT_OR_REPLACE = (
    "INSERT OR REPLACE INTO audit_auditevent (id, at, actor_id, action, subject_id, object_ref, outcome, "
    "client_address, key_id, chain, previous_hash, hash) VALUES (%s, %s, %s, 'checkin.view', %s, "
    "'scope:nothing', 'allowed', NULL, %s, %s, %s, %s)"
)


def _replace(victim, *, row_id, hash_value, previous_hash=None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            INSERT_OR_REPLACE,
            [
                row_id,
                victim.at,
                victim.actor_id,
                victim.subject_id,
                victim.key_id,
                victim.chain,
                victim.previous_hash if previous_hash is None else previous_hash,
                hash_value,
            ],
        )


def _as_stored(event) -> tuple[str, str, str] | None:
    return AuditEvent.objects.filter(pk=event.pk).values_list("object_ref", "hash", "previous_hash").first()


@sqlite_only
@pytest.mark.parametrize("which", ["a middle row", "the newest row"])
def test_insert_or_replace_cannot_rewrite_a_row(trail, which):
    victim = trail[2] if which == "a middle row" else trail[-1]
    before = _as_stored(victim)
    with pytest.raises(DatabaseError, match="append-only: INSERT reusing an id"), transaction.atomic():
        _replace(victim, row_id=victim.pk, hash_value="f" * 64)
    assert _as_stored(victim) == before
    assert AuditEvent.objects.count() == 5
    assert first_break() is None


@sqlite_only
def test_insert_or_replace_cannot_remove_a_row_through_its_hash(trail):
    """REPLACE also deletes a row that collides on the other unique column, the hash."""
    victim = trail[1]
    with (
        pytest.raises(DatabaseError, match="append-only: INSERT reusing an id or hash"),
        transaction.atomic(),
    ):
        _replace(victim, row_id=trail[-1].pk + 1, hash_value=victim.hash)
    assert AuditEvent.objects.filter(pk=victim.pk).exists()
    assert AuditEvent.objects.count() == 5


@sqlite_only
@pytest.mark.parametrize("row_id", [0, -1])
def test_an_insert_before_the_first_row_is_refused(trail, row_id):
    with pytest.raises(DatabaseError, match="append-only: INSERT"), transaction.atomic():
        _replace(trail[0], row_id=row_id, hash_value="e" * 64)
    assert AuditEvent.objects.count() == 5


@sqlite_only
@pytest.mark.parametrize("after", [0, 1, 3], ids=["a new chain", "its first row", "a middle row"])
def test_an_insert_that_does_not_follow_the_newest_row_of_its_chain_is_refused(trail, after):
    """A row linked to anything but its chain's newest row, at the end of the trail, never gets in."""
    previous_hash = logic.GENESIS if after == 0 else trail[after - 1].hash
    with (
        pytest.raises(DatabaseError, match="INSERT not following the newest row of its chain refused"),
        transaction.atomic(),
    ):
        _replace(trail[-1], row_id=trail[-1].pk + 1, hash_value="d" * 64, previous_hash=previous_hash)
    assert AuditEvent.objects.count() == 5


class _Undo(Exception):
    pass


@sqlite_only
def test_without_the_insert_triggers_replace_gets_past_the_delete_trigger(trail):
    """Why the INSERT triggers are needed: REPLACE's delete fires no DELETE trigger on SQLite."""
    victim = trail[2]
    with pytest.raises(_Undo), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER audit_auditevent_no_reuse")
            cursor.execute("DROP TRIGGER audit_auditevent_in_order")
        _replace(victim, row_id=victim.pk, hash_value="f" * 64)
        assert _as_stored(victim)[0] == "scope:nothing"  # the row was rewritten; no_delete never fired
        raise _Undo
    assert _as_stored(victim)[0] == victim.object_ref
    assert first_break() is None


def test_new_rows_still_join_the_chain(trail, riley):
    record("checkin.view", riley, subject=riley)
    record("checkin.view", riley, subject=riley)
    assert AuditEvent.objects.count() == 7
    assert first_break() is None
