"""The audit trail: append-only in the database itself, and any change behind our back is found."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from circles.audit import logic, triggers
from circles.audit.models import AuditEvent
from circles.audit.trail import first_break, record, signing_key


@pytest.fixture
def trail(riley, sam):
    for n in range(5):
        record("checkin.view", sam, subject=riley, object_ref=f"scope:mood{n}")
    return list(AuditEvent.objects.order_by("id"))


def test_rows_are_chained(trail):
    assert trail[0].previous_hash == logic.GENESIS
    for before, after in zip(trail, trail[1:], strict=False):
        assert after.previous_hash == before.hash
        assert after.hash == logic.row_hash(after.chain_row(), signing_key().secret)
    assert first_break() is None


def test_verify_audit_reports_an_intact_trail(trail, capsys):
    call_command("verify_audit")
    assert "intact: 5 rows checked" in capsys.readouterr().out


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_auditevent SET outcome = 'denied'",
        "UPDATE audit_auditevent SET action = 'x' WHERE id = %s",
        "DELETE FROM audit_auditevent WHERE id = %s",
        "DELETE FROM audit_auditevent",
    ],
)
def test_the_database_refuses_updates_and_deletes(trail, statement):
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, [trail[2].pk] if "%s" in statement else [])
    assert AuditEvent.objects.count() == 5
    assert first_break() is None


def test_the_orm_cannot_change_a_row_either(trail):
    row = trail[1]
    row.outcome = "denied"
    with pytest.raises(DatabaseError), transaction.atomic():
        row.save()
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=row.pk).delete()


def _tamper(sql: str, params: list) -> None:
    """What someone with direct database access could do: lift the trigger, change a row, put it back."""
    triggers.drop(connection)
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
    finally:
        triggers.install(connection)


def test_one_flipped_byte_is_named_by_verify_audit(trail):
    victim = trail[3]
    flipped = chr(ord(victim.object_ref[0]) ^ 1) + victim.object_ref[1:]  # one bit of one byte
    _tamper("UPDATE audit_auditevent SET object_ref = %s WHERE id = %s", [flipped, victim.pk])
    with pytest.raises(CommandError, match=f"Audit row {victim.pk} does not match"):
        call_command("verify_audit")


def test_a_changed_hash_breaks_the_next_link(trail):
    victim = trail[1]
    forged = logic.row_hash(  # a consistent forgery of one row, even with the key
        logic.Row(**{**victim.chain_row().__dict__, "outcome": "denied"}), signing_key().secret
    )
    _tamper("UPDATE audit_auditevent SET outcome = 'denied', hash = %s WHERE id = %s", [forged, victim.pk])
    found = first_break()
    assert found is not None and found.row_id == trail[2].pk
    assert "previous-row hash" in found.reason


def test_a_removed_row_is_found(trail):
    _tamper("DELETE FROM audit_auditevent WHERE id = %s", [trail[2].pk])
    found = first_break()
    assert found is not None and found.row_id == trail[3].pk


def test_the_client_address_is_recorded_from_the_request(riley, sam, client_for):
    from circles.sharing.tests.factories import grant, link

    grant(link(riley, sam), ["mood"])
    client_for(sam).get(f"/supporting/{riley.pk}/", REMOTE_ADDR="203.0.113.7")
    row = AuditEvent.objects.filter(actor=sam, action="shared.view").get()
    assert row.client_address == "203.0.113.7" and row.subject_id == riley.pk


def test_a_refused_change_leaves_no_row_and_a_completed_one_leaves_one(riley, sam):
    """Rows are written in the transaction of the change they record: both land, or neither."""
    from circles.sharing.tests.factories import grant, link

    tie = link(riley, sam)
    before = AuditEvent.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        grant(tie, ["mood"])
        raise RuntimeError("the change fails after its row was written")
    assert AuditEvent.objects.count() == before and not tie.consents.exists()
    grant(tie, ["mood"])
    assert AuditEvent.objects.filter(action="consent.grant", subject=riley).count() == 1


@pytest.mark.parametrize("address", ["::ffff:10.0.0.1", "2001:DB8::1", "10.0.0.1"])
def test_addresses_are_hashed_as_they_are_stored(riley, address):
    from circles.lib import client

    token = client._current_address.set(address)
    try:
        record("checkin.view", riley, subject=riley)
    finally:
        client._current_address.reset(token)
    assert first_break() is None
