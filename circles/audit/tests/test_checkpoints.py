"""Checkpoints: the signed head of the trail, kept outside the database, shows rows cut from the end of the
trail or of any member's chain, which the chains alone cannot."""

import datetime as dt
import json
import logging
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from circles.audit import checkpoint, logic, triggers
from circles.audit.models import AuditEvent
from circles.audit.trail import Event, first_break, record, record_many, signing_key

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def checkpoint_file(settings):
    return Path(settings.AUDIT_CHECKPOINT_PATH)  # in the test's own folder (conftest.py)


@pytest.fixture
def trail(riley, sam):
    for n in range(5):
        record("checkin.view", sam, subject=riley, object_ref=f"scope:mood{n}")
    return list(AuditEvent.objects.order_by("id"))


def _tamper(sql: str, params: list) -> None:
    triggers.drop(connection)
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
    finally:
        triggers.install(connection)


def _verify(capsys, *args) -> str:
    call_command("verify_audit", *args)
    return capsys.readouterr().out


def test_a_checkpoint_is_one_signed_line_with_the_head_of_the_chain(trail, checkpoint_file, capsys):
    call_command("audit_checkpoint")
    assert f"5 rows up to #{trail[-1].pk} in 1 chain" in capsys.readouterr().out
    [line] = checkpoint_file.read_text().splitlines()
    data = json.loads(line)
    assert data["rows"] == 5 and data["last_id"] == trail[-1].pk and data["last_hash"] == trail[-1].hash
    head = logic.ChainHead(trail[-1].chain, 5, trail[-1].pk, trail[-1].hash)
    assert data["chains"] == 1 and data["heads"] == logic.trail_head([head]).heads
    assert data["key_id"] == signing_key().id and len(data["signature"]) == 64
    assert signing_key().secret.decode() not in line
    assert "holds every row of the latest checkpoint" in _verify(capsys)


def test_deleting_the_newest_rows_after_a_checkpoint_is_named(trail, checkpoint_file):
    call_command("audit_checkpoint")
    _tamper("DELETE FROM audit_auditevent WHERE id > %s", [trail[2].pk])
    assert first_break() is None  # what is left is a whole chain: only the checkpoint can tell
    with pytest.raises(CommandError, match=rf"the newest 2 rows after #{trail[2].pk} are missing"):
        call_command("verify_audit")


def test_emptying_the_trail_after_a_checkpoint_is_named(trail, checkpoint_file):
    call_command("audit_checkpoint")
    _tamper("DELETE FROM audit_auditevent", [])
    with pytest.raises(CommandError, match=r"cut short: .* counted 5 rows .* the newest 5 rows are missing"):
        call_command("verify_audit")


def test_rows_added_after_a_checkpoint_are_fine(trail, checkpoint_file, riley, capsys):
    call_command("audit_checkpoint")
    record("checkin.view", riley, subject=riley)
    assert "intact: 6 rows checked" in _verify(capsys)


def test_a_chain_rewritten_with_the_key_still_differs_from_the_checkpoint(trail, checkpoint_file):
    """Even someone holding the key cannot rewrite rows already covered by a checkpoint unnoticed."""
    call_command("audit_checkpoint")
    key, previous = signing_key(), trail[1].hash
    triggers.drop(connection)
    try:
        with connection.cursor() as cursor:
            for position, event in enumerate(trail[2:]):
                row = logic.Row(
                    **{
                        **event.chain_row().__dict__,
                        "previous_hash": previous,
                        "outcome": "denied" if position == 0 else event.outcome,
                    }
                )
                previous = logic.row_hash(row, key.secret)
                cursor.execute(
                    "UPDATE audit_auditevent SET outcome = %s, previous_hash = %s, hash = %s WHERE id = %s",
                    [row.outcome, row.previous_hash, previous, event.pk],
                )
    finally:
        triggers.install(connection)
    assert first_break() is None
    with pytest.raises(CommandError, match=rf"Audit row #{trail[-1].pk} does not match the checkpoint"):
        call_command("verify_audit")


def test_a_forged_checkpoint_is_reported_and_not_trusted(trail, checkpoint_file):
    """A line claiming the trail was shorter, to hide deleted rows, is not believed: the true one counts."""
    call_command("audit_checkpoint")
    true_line = json.loads(checkpoint_file.read_text())
    forged = {**true_line, "rows": 3, "last_id": trail[2].pk, "last_hash": trail[2].hash}
    with checkpoint_file.open("a") as lines:
        lines.write(json.dumps(forged) + "\n")
        lines.write("not a checkpoint at all\n")
    _tamper("DELETE FROM audit_auditevent WHERE id > %s", [trail[2].pk])
    with pytest.raises(CommandError) as refused:
        call_command("verify_audit")
    message = str(refused.value)
    assert "line 2: its signature does not match; that line is not trusted" in message
    assert "line 3: it is not a checkpoint" in message
    assert f"the newest 2 rows after #{trail[2].pk} are missing" in message


def test_a_checkpoint_made_with_an_unknown_key_is_not_trusted(trail, checkpoint_file):
    made_elsewhere = logic.checkpoint_line(
        logic.Checkpoint(rows=1, last_id=trail[0].pk, last_hash=trail[0].hash, at=START, key_id="other"),
        b"a-key-this-server-does-not-have-0000000000",
    )
    checkpoint_file.write_text(made_elsewhere + "\n")
    with pytest.raises(CommandError, match="line 1: it names key 'other'"):
        call_command("verify_audit")


def test_without_a_checkpoint_file_the_chain_alone_is_checked(trail, checkpoint_file, capsys):
    assert "No checkpoint file at" in _verify(capsys)


def test_the_worker_writes_a_checkpoint_on_schedule(trail, checkpoint_file, settings):
    from circles.worker import jobs

    [entry] = [entry for entry in jobs.EVERY_WORKER_JOBS if entry[0] is checkpoint.write_audit_checkpoint]
    assert entry[1] == dt.timedelta(minutes=settings.AUDIT_CHECKPOINT_MINUTES)
    runner = jobs.PeriodicRunner([(checkpoint.write_audit_checkpoint, dt.timedelta(minutes=60))])
    with time_machine.travel(START, tick=False):
        runner.run_due(START)
        runner.run_due(START + dt.timedelta(minutes=30))
        runner.run_due(START + dt.timedelta(minutes=60))
    lines = checkpoint_file.read_text().splitlines()
    assert [json.loads(line)["at"] for line in lines] == [
        "2026-03-02T09:00:00.000000Z",
        "2026-03-02T10:00:00.000000Z",
    ]


def test_a_checkpoint_that_cannot_be_written_is_logged_and_the_worker_goes_on(
    trail, tmp_path, settings, caplog
):
    settings.AUDIT_CHECKPOINT_PATH = str(tmp_path / "no-such-folder" / "checkpoints.jsonl")
    assert checkpoint.write_audit_checkpoint(START) == 0
    assert "could not write" in caplog.text


def test_checkpoints_can_go_to_the_log_and_be_checked_from_there(trail, settings, tmp_path, caplog, capsys):
    settings.AUDIT_CHECKPOINT_PATH = "log"
    with caplog.at_level(logging.INFO, logger="circles.audit.checkpoint"):
        call_command("audit_checkpoint")
    [logged] = [r for r in caplog.records if r.name == "circles.audit.checkpoint"]
    assert "no checkpoint" not in _verify(capsys).lower()  # says where checkpoints are, checks the chain

    # The lines as a log collector keeps them, with its own prefix, passed back to verify_audit.
    exported = tmp_path / "from-the-log.txt"
    exported.write_text(f"2026-03-02T09:00:00Z web-1 circles.audit.checkpoint INFO {logged.getMessage()}\n")
    assert "holds every row of the latest checkpoint" in _verify(capsys, "--checkpoints", str(exported))
    _tamper("DELETE FROM audit_auditevent WHERE id > %s", [trail[3].pk])
    with pytest.raises(CommandError, match=rf"the newest 1 rows after #{trail[3].pk} are missing"):
        call_command("verify_audit", "--checkpoints", str(exported))


def test_a_missing_or_stale_checkpoint_is_a_problem_once_the_trail_is_old_enough(riley, tmp_path, settings):
    """Deleting the checkpoint file, or stopping the worker that writes it, must not let a truncation
    pass as "intact"."""
    import datetime as dt

    import pytest
    import time_machine
    from django.core.management import CommandError, call_command

    from circles.audit.trail import record

    settings.AUDIT_CHECKPOINT_PATH = str(tmp_path / "gone.jsonl")
    start = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as clock:
        record("checkin.view", riley, subject=riley)
        call_command("verify_audit")  # a new deployment: no checkpoint yet, and that is fine
        clock.shift(dt.timedelta(hours=3))
        with pytest.raises(CommandError, match="no checkpoint file"):
            call_command("verify_audit")
        call_command("audit_checkpoint")
        call_command("verify_audit")
        clock.shift(dt.timedelta(hours=3))
        with pytest.raises(CommandError, match="more than twice AUDIT_CHECKPOINT_MINUTES"):
            call_command("verify_audit")


# --- One chain per member ------------------------------------------------------------------------------


@pytest.fixture
def two_chains(riley, jamie, sam):
    """Rows about riley and about jamie, interleaved: riley's at even positions, jamie's at odd ones."""
    for n in range(3):
        record("checkin.view", sam, subject=riley, object_ref=f"scope:mood{n}")
        record("checkin.view", sam, subject=jamie, object_ref=f"scope:mood{n}")
    return list(AuditEvent.objects.order_by("id"))


def test_rows_cut_from_the_end_of_one_members_chain_are_named(two_chains, checkpoint_file):
    """Riley's newest row goes; jamie's, newer, stays: every chain still holds, the count does not."""
    riley_0, jamie_0, riley_1, jamie_1, riley_2, jamie_2 = two_chains
    call_command("audit_checkpoint")
    _tamper("DELETE FROM audit_auditevent WHERE id = %s", [riley_2.pk])
    assert first_break() is None
    with pytest.raises(CommandError, match=rf"counted 6 rows up to #{jamie_2.pk}; 5 of them are there now"):
        call_command("verify_audit")


def test_a_chain_rewritten_with_the_key_below_the_newest_row_still_differs(two_chains, checkpoint_file):
    """Someone holding the key rewrites riley's chain, whose rows all come before the trail's newest row
    (jamie's): the checkpoint's digest of every chain's head shows it."""
    riley_0, jamie_0, riley_1, jamie_1, riley_2, jamie_2 = two_chains
    call_command("audit_checkpoint")
    key, previous = signing_key(), riley_0.hash
    triggers.drop(connection)
    try:
        with connection.cursor() as cursor:
            for position, event in enumerate([riley_1, riley_2]):
                row = logic.Row(
                    **{
                        **event.chain_row().__dict__,
                        "previous_hash": previous,
                        "outcome": "denied" if position == 0 else event.outcome,
                    }
                )
                previous = logic.row_hash(row, key.secret)
                cursor.execute(
                    "UPDATE audit_auditevent SET outcome = %s, previous_hash = %s, hash = %s WHERE id = %s",
                    [row.outcome, row.previous_hash, previous, event.pk],
                )
    finally:
        triggers.install(connection)
    assert first_break() is None
    with pytest.raises(
        CommandError, match=rf"The members' chains up to #{jamie_2.pk} do not match the checkpoint"
    ):
        call_command("verify_audit")


def test_an_older_checkpoint_is_checked_while_newer_rows_exist(
    two_chains, checkpoint_file, riley, jamie, capsys
):
    riley_0, jamie_0, riley_1, jamie_1, riley_2, jamie_2 = two_chains
    call_command("audit_checkpoint")
    record_many([Event("checkin.view", riley.pk, subject_id=member.pk) for member in (riley, jamie, riley)])
    assert "holds every row of the latest checkpoint" in _verify(capsys)
    assert f"6 rows up to #{jamie_2.pk}" in _verify(capsys)

    # Riley's rows from the checkpoint's newest on go: newer rows of jamie's still end the trail.
    _tamper("DELETE FROM audit_auditevent WHERE chain = %s AND id >= %s", [riley.pk, riley_2.pk])
    assert first_break() is None
    assert AuditEvent.objects.order_by("-id").first().chain == jamie.pk
    with pytest.raises(CommandError, match=rf"counted 6 rows up to #{jamie_2.pk}; 5 of them are there now"):
        call_command("verify_audit")


def test_a_checkpoint_from_before_the_chains_per_member_still_counts_rows(trail, checkpoint_file, capsys):
    """Migration audit.0004 replaced every hash; a checkpoint written before it (no chain heads) is
    trusted for its row count and last id, and verify_audit says so."""
    key = signing_key()
    before = logic.Checkpoint(
        rows=5, last_id=trail[-1].pk, last_hash="a hash replaced since", at=timezone.now(), key_id=key.id
    )
    line = logic.checkpoint_line(before, key.secret)
    assert "heads" not in json.loads(line)
    checkpoint_file.write_text(line + "\n")
    out = _verify(capsys)
    assert "holds every row of the latest checkpoint" in out and "its row count was compared" in out

    _tamper("DELETE FROM audit_auditevent WHERE id = %s", [trail[2].pk])
    with pytest.raises(CommandError, match=rf"counted 5 rows up to #{trail[-1].pk}; 4 of them are there now"):
        call_command("verify_audit")


def test_a_checkpoint_cannot_pass_for_one_from_before_the_chains_per_member(trail, checkpoint_file):
    """Dropping the chain heads from a line breaks its signature: the digest cannot be shed."""
    call_command("audit_checkpoint")
    data = json.loads(checkpoint_file.read_text())
    del data["heads"], data["chains"]
    checkpoint_file.write_text(json.dumps(data) + "\n")
    with pytest.raises(CommandError, match="line 1: its signature does not match"):
        call_command("verify_audit")


def test_rows_added_below_a_checkpoints_last_id_are_named_too():
    """Pure: a row that appears among those a checkpoint counted is as wrong as one that goes."""
    head = logic.trail_head([logic.ChainHead(1, 3, 7, "a" * 64), logic.ChainHead(2, 2, 9, "b" * 64)])
    written = logic.checkpoint_of(head, START, "k")
    assert logic.compare_with_checkpoint(written, head) is None
    more = logic.trail_head([logic.ChainHead(1, 4, 7, "a" * 64), logic.ChainHead(2, 2, 9, "b" * 64)])
    assert logic.compare_with_checkpoint(written, more).endswith("counted 5 rows up to #9; there are 6 now.")
