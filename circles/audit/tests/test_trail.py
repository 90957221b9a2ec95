"""The audit trail: append-only in the database itself, one chain per member, and any change behind our
back is found."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from circles.audit import logic, triggers
from circles.audit.models import AuditEvent
from circles.audit.trail import Event, first_break, record, record_many, signing_key


@pytest.fixture
def trail(riley, sam):
    for n in range(5):
        record("checkin.view", sam, subject=riley, object_ref=f"scope:mood{n}")
    return list(AuditEvent.objects.order_by("id"))


def test_rows_are_chained(trail, riley):
    assert trail[0].previous_hash == logic.GENESIS
    assert {event.chain for event in trail} == {riley.pk}
    for before, after in zip(trail, trail[1:], strict=False):
        assert after.previous_hash == before.hash
        assert after.hash == logic.row_hash(after.chain_row(), signing_key().secret)
    assert first_break() is None


@pytest.fixture
def two_chains(riley, jamie, sam):
    """Rows about riley and about jamie, interleaved: riley's at even positions, jamie's at odd ones."""
    for n in range(3):
        record("checkin.view", sam, subject=riley, object_ref=f"scope:mood{n}")
        record("checkin.view", sam, subject=jamie, object_ref=f"scope:mood{n}")
    return list(AuditEvent.objects.order_by("id"))


def test_each_row_joins_the_chain_of_the_member_it_is_about(riley, jamie, sam):
    record("checkin.view", sam, subject=riley)
    record("checkin.view", sam, subject=jamie)
    record("account.signin", sam)  # about nobody else: the chain of who acted
    record("questionnaire.import", None)  # about nobody, by nobody: the shared chain
    record_many([Event("shared.view", sam.pk, subject_id=jamie.pk), Event("shared.view", sam.pk, riley.pk)])
    rows = list(AuditEvent.objects.order_by("id"))
    assert [row.chain for row in rows] == [riley.pk, jamie.pk, sam.pk, 0, jamie.pk, riley.pk]
    first_of_each: dict[int, AuditEvent] = {}
    for row in rows:
        before = first_of_each.get(row.chain)
        assert row.previous_hash == (logic.GENESIS if before is None else before.hash)
        first_of_each[row.chain] = row
    assert first_break() is None


def test_one_call_can_add_several_rows_to_one_chain(riley, sam):
    record_many([Event("alert.view", sam.pk, subject_id=riley.pk, object_ref=f"alert:{n}") for n in range(3)])
    first, second, third = AuditEvent.objects.order_by("id")
    assert (second.previous_hash, third.previous_hash) == (first.hash, second.hash)
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


def test_a_row_removed_from_the_middle_of_one_chain_is_found_at_that_chains_next_row(two_chains):
    riley_0, jamie_0, riley_1, jamie_1, riley_2, jamie_2 = two_chains
    _tamper("DELETE FROM audit_auditevent WHERE id = %s", [riley_1.pk])
    found = first_break()
    assert found is not None and found.row_id == riley_2.pk  # jamie's row between them still holds
    assert "previous-row hash does not match the row before it in its chain" in found.reason


def _swap_ids(first, second) -> None:
    """Two rows trade places in the trail, each keeping its content and hash."""
    triggers.drop(connection)
    try:
        with connection.cursor() as cursor:
            cursor.execute("UPDATE audit_auditevent SET id = %s WHERE id = %s", [-7, first.pk])
            cursor.execute("UPDATE audit_auditevent SET id = %s WHERE id = %s", [first.pk, second.pk])
            cursor.execute("UPDATE audit_auditevent SET id = %s WHERE id = %s", [second.pk, -7])
    finally:
        triggers.install(connection)


def test_two_rows_of_one_chain_swapped_are_found(two_chains):
    riley_0, jamie_0, riley_1, jamie_1, riley_2, jamie_2 = two_chains
    _swap_ids(riley_1, riley_2)
    found = first_break()
    assert found is not None and found.row_id == riley_1.pk


@pytest.mark.parametrize("newest", [False, True], ids=["in the middle", "each the newest of its chain"])
def test_two_rows_of_different_chains_swapped_are_found(two_chains, newest):
    """Each chain alone would still hold in order; the id each row's hash covers does not."""
    riley_0, jamie_0, riley_1, jamie_1, riley_2, jamie_2 = two_chains
    first, second = (riley_2, jamie_2) if newest else (riley_1, jamie_1)
    _swap_ids(first, second)
    found = first_break()
    assert found is not None and found.row_id == first.pk
    assert found.reason == "its content does not match its hash"


def test_a_row_moved_into_another_members_chain_is_found(two_chains, jamie):
    """Someone without the key re-labels a row about riley as one about jamie and links it into jamie's
    chain: its hash no longer matches."""
    riley_0, jamie_0, riley_1, jamie_1, riley_2, jamie_2 = two_chains
    _tamper(
        "UPDATE audit_auditevent SET subject_id = %s, chain = %s, previous_hash = %s WHERE id = %s",
        [jamie.pk, jamie.pk, jamie_0.hash, riley_1.pk],
    )
    found = first_break()
    assert found is not None and found.row_id == riley_1.pk
    assert found.reason == "its content does not match its hash"


def test_a_row_put_in_a_chain_not_its_own_is_found(two_chains, jamie):
    riley_0, *_ = two_chains
    _tamper("UPDATE audit_auditevent SET chain = %s WHERE id = %s", [jamie.pk, riley_0.pk])
    found = first_break()
    assert found is not None and found.row_id == riley_0.pk
    assert "not in that of the member it names" in found.reason


def test_a_row_forged_without_the_key_at_the_end_of_a_chain_is_found(two_chains, riley, sam):
    """It links to the chain's newest row, so even SQLite's insert trigger lets it in; its hash cannot be
    right without the key."""
    newest = two_chains[-2]  # riley's
    row_id = two_chains[-1].pk + 1
    forged = logic.Row(
        **{**newest.chain_row().__dict__, "id": row_id, "outcome": "denied", "previous_hash": newest.hash}
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO audit_auditevent (id, at, actor_id, action, subject_id, object_ref, outcome, "
            "client_address, key_id, chain, previous_hash, hash) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, NULL, %s, %s, %s, %s)",
            [
                row_id,
                forged.at,
                sam.pk,
                forged.action,
                riley.pk,
                forged.object_ref,
                forged.outcome,
                forged.key_id,
                forged.chain,
                forged.previous_hash,
                logic.row_hash(forged, b"a-key-the-attacker-made-up-for-the-occasion"),
            ],
        )
    found = first_break()
    assert found is not None and found.row_id == row_id
    assert found.reason == "its content does not match its hash"


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
