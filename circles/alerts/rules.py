"""Signals become alerts here. Event rules run inside the transaction of the change that raised them;
the time rules (missed commitments, disengagement) run in the worker's scheduler, in chunks of members
(circles/worker/scheduler.py).
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Iterator
from itertools import groupby

from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import Exists, Field, Max, OuterRef, Q

from circles.accounts.models import User
from circles.alerts import logic
from circles.alerts.models import Alert, AlertSettings, Rung
from circles.alerts.outbox import raise_alert
from circles.checkins.models import CheckIn, SafetySignal
from circles.lib.time import local_today
from circles.network.adherence import load_adherence_many
from circles.network.models import Commitment, Interaction

log = logging.getLogger(__name__)

# The errors that mean the database is away, not that one member's alerts went wrong.
OUTAGE = (OperationalError, InterfaceError)


def alert_settings(member) -> AlertSettings:
    """The member's settings, unsaved defaults when they never changed any."""
    return AlertSettings.objects.filter(member=member).first() or AlertSettings(member=member)


def on_safety_signal(signal: SafetySignal) -> None:
    """A self-harm answer or a positive screen: an urgent alert in the same transaction, always."""
    if signal.source == SafetySignal.Source.HELP_NOW:
        return  # the help page offers SOS; the member confirms before anyone is asked
    facts = {"source": signal.source, "signal": signal.pk}
    raise_alert(signal.member, logic.SAFETY, facts=facts, now=signal.created_at)
    SafetySignal.objects.filter(pk=signal.pk).update(handled_at=signal.created_at)


# The check-in rules and what each reads from AlertSettings; a run is at most this many days long.
CHECKIN_RULE_FIELDS = (
    "return_to_use_on",
    "craving_on",
    "craving_level",
    "craving_days",
    "low_mood_on",
    "low_mood_level",
    "low_mood_days",
)
LONGEST_RUN = max(logic.THRESHOLD_BY_FIELD[field].high for field in ("craving_days", "low_mood_days"))


def _column(model, name: str) -> str:
    field = model._meta.get_field(name)
    if not isinstance(field, Field) or field.column is None:  # a relation seen from the other side
        raise TypeError(f"{model.__name__}.{name} is not a column")
    return connection.ops.quote_name(field.column)


@functools.cache
def _checkin_rule_sql() -> str:
    """The statement `_checkin_rule_inputs` sends, written once: one row per recent check-in, with the
    ladder flag and the member's chosen rules (NULL when they never changed any) on every row.

    Written by hand because building it through the ORM, with a subquery per rule, cost several times
    what the database takes to answer it, on every check-in. Plain SQL that SQLite and PostgreSQL share.
    """
    q = connection.ops.quote_name
    c, s, r = q(CheckIn._meta.db_table), q(AlertSettings._meta.db_table), q(Rung._meta.db_table)
    member, day = _column(CheckIn, "member"), _column(CheckIn, "day")
    chosen = ", ".join(f"{s}.{_column(AlertSettings, field)}" for field in CHECKIN_RULE_FIELDS)
    # Only names from the models go into the text; the member and the day are parameters.
    return (
        f"SELECT {c}.{day}, {c}.{_column(CheckIn, 'craving')}, {c}.{_column(CheckIn, 'mood')}, "  # noqa: S608
        f"EXISTS (SELECT 1 FROM {r} WHERE {r}.{_column(Rung, 'member')} = %s), {chosen} "
        f"FROM {c} LEFT JOIN {s} ON {s}.{_column(AlertSettings, 'member')} = {c}.{member} "
        f"WHERE {c}.{member} = %s AND {c}.{day} > %s ORDER BY {c}.{day} DESC"
    )


def _checkin_rule_inputs(member, today: dt.date) -> tuple[bool, AlertSettings, list[dict]]:
    """Whether the member has a ladder, their rules and their recent check-ins, in one query.

    Every check-in runs these rules, so the ladder and the settings ride along with the recent days
    (the longest run a member may choose, whatever they chose). No row means no check-in in those
    days: then no rule can hold.
    """
    since = today - dt.timedelta(days=LONGEST_RUN + 1)
    with connection.cursor() as cursor:
        cursor.execute(
            _checkin_rule_sql(), [member.pk, member.pk, connection.ops.adapt_datefield_value(since)]
        )
        found = cursor.fetchall()
    if not found:
        return False, AlertSettings(member=member), []
    rows = [
        {
            "day": day if isinstance(day, dt.date) else dt.date.fromisoformat(day),
            "craving": craving,
            "mood": mood,
        }
        for day, craving, mood, *_ in found
    ]
    first = found[0]
    chosen = dict(zip(CHECKIN_RULE_FIELDS, first[4:], strict=True))
    rules = AlertSettings(
        member=member,
        **{
            field: (bool(value) if field.endswith("_on") else value)
            for field, value in chosen.items()
            if value is not None
        },
    )
    return bool(first[3]), rules, rows


def on_checkin(checkin) -> None:
    """Craving, low mood and return-to-use rules, for a check-in just saved (in its transaction)."""
    member = checkin.member
    today = local_today(member)
    has_ladder, rules, rows = _checkin_rule_inputs(member, today)
    if not has_ladder:
        return
    if checkin.used and rules.return_to_use_on and checkin.day >= today - dt.timedelta(days=1):
        raise_alert(member, logic.RETURN_TO_USE, facts={"day": checkin.day.isoformat()})
    wanted = []
    if rules.craving_on:
        wanted.append((logic.CRAVING, "craving", rules.craving_level, rules.craving_days, True))
    if rules.low_mood_on:
        wanted.append((logic.LOW_MOOD, "mood", rules.low_mood_level, rules.low_mood_days, False))
    if not wanted:
        return
    values = {row["day"]: row for row in rows if row["day"] <= today}
    # The run ends today, or yesterday when today has no check-in yet.
    end = today if today in values else today - dt.timedelta(days=1)
    for kind, field, level, days, high in wanted:
        by_day = {day: row[field] for day, row in values.items()}
        holds = (lambda v, level=level: v >= level) if high else (lambda v, level=level: v <= level)
        if logic.streak_holds(by_day, end, days, holds):
            raise_alert(member, kind, facts={"level": level, "days": days, "until": end.isoformat()})


# Members per chunk of a time-rule pass: big enough that the fixed queries per chunk are few over a
# pass, small enough that each chunk's reads stay short.
TIME_RULES_CHUNK = 500


def check_time_rules(now: dt.datetime, *, chunk_size: int = TIME_RULES_CHUNK) -> int:
    """Missed commitments and disengagement for every member with a ladder. Returns alerts raised."""
    return sum(time_rules_by_chunk(now, chunk_size=chunk_size))


def time_rules_by_chunk(now: dt.datetime, *, chunk_size: int = TIME_RULES_CHUNK) -> Iterator[int]:
    """The time rules, a chunk of members at a time (by id); yields the alerts each chunk raised.

    A chunk reads what the rules need in six queries whatever its size (the members, their settings,
    last contacts, last time-rule alerts, commitments, and the contacts adherence needs), one more
    when a repeat of missed commitments may be held back, and one to load in full the members it
    raises alerts for. It raises them (each costs its own queries) in one short transaction per member:
    each holds only that member's audit chain on PostgreSQL, and on SQLite the one write lock, which
    sends and lease renewals are waiting for, only that long. A member whose alerts fail is logged and
    the others are still raised; only an outage ends the pass. Between chunks the caller (the worker's
    scheduler) may renew its lease or stop.
    """
    with_ladder = (
        User.objects.filter(Exists(Rung.objects.filter(member=OuterRef("pk"))))
        .order_by("pk")
        .only("id", "timezone", "date_joined")
    )
    after = 0
    while True:
        members = list(with_ladder.filter(pk__gt=after)[:chunk_size])
        if not members:
            return
        yield _time_rules_for(members, now)
        if len(members) < chunk_size:
            return
        after = members[-1].pk


def _in_chunk(members: list) -> Q:
    """Rows of the chunk's members: those with a ladder in its range of ids, which are exactly them.

    A range is two parameters where a list of ids would be hundreds, sent and parsed for each query.
    """
    ladder = Exists(Rung.objects.filter(member=OuterRef("member_id")))
    return Q(ladder, member_id__gte=members[0].pk, member_id__lte=members[-1].pk)


def _time_rules_for(members: list, now: dt.datetime) -> int:
    chunk = _in_chunk(members)
    chosen = {s.member_id: s for s in AlertSettings.objects.filter(chunk)}
    defaults = AlertSettings()  # for everyone who never changed theirs (only read here)
    rules = {member.pk: chosen.get(member.pk) or defaults for member in members}
    last_contact = dict(
        Interaction.objects.filter(chunk)
        .values("member_id")
        .annotate(last=Max("occurred_at"))
        .values_list("member_id", "last")
    )
    # A time rule fires again only when its condition starts anew: after contact since its last alert.
    last_raised = {
        (row["member_id"], row["kind"]): row["last"]
        for row in Alert.objects.filter(chunk, kind__in=(logic.DISENGAGEMENT, logic.MISSED_COMMITMENTS))
        .values("member_id", "kind")
        .annotate(last=Max("created_at"))
    }
    watched = [m for m in members if rules[m.pk].missed_commitments_on]
    worst = _worst_missed_commitments(watched, chunk, now) if watched else {}

    to_raise: list[tuple[User, str, dict]] = []
    held_back: dict[int, tuple] = {}  # member id: (commitment, count, previous alert) awaiting a check
    for member in members:
        rule = rules[member.pk]
        if rule.disengagement_on:
            last = last_contact.get(member.pk) or member.date_joined
            quiet_days = (now - last).days
            previous = last_raised.get((member.pk, logic.DISENGAGEMENT))
            if quiet_days >= rule.disengaged_days and (previous is None or previous < last):
                to_raise.append((member, logic.DISENGAGEMENT, {"days": quiet_days}))
        count, commitment = worst.get(member.pk, (0, None))
        if commitment is not None and count >= rule.missed_commitments:
            previous = last_raised.get((member.pk, logic.MISSED_COMMITMENTS))
            if previous is None:
                to_raise.append((member, logic.MISSED_COMMITMENTS, _missed_facts(count, commitment)))
            else:
                held_back[member.pk] = (commitment, count, previous)
    if held_back:
        # The same run of misses asks the ladder once: again only after contact with that person since.
        tie_contact = {
            (row["member_id"], row["tie_id"]): row["last"]
            for row in Interaction.objects.filter(
                member_id__in=held_back, tie_id__in={c.tie_id for c, _count, _prev in held_back.values()}
            )
            .values("member_id", "tie_id")
            .annotate(last=Max("occurred_at"))
        }
        for member in members:
            if member.pk in held_back:
                commitment, count, previous = held_back[member.pk]
                contact = tie_contact.get((member.pk, commitment.tie_id))
                if contact is not None and previous < contact:
                    to_raise.append((member, logic.MISSED_COMMITMENTS, _missed_facts(count, commitment)))
    if not to_raise:
        return 0  # nothing written: the chunk never takes the write lock
    to_raise.sort(key=lambda item: (item[0].pk, item[1] != logic.DISENGAGEMENT))
    accounts = User.objects.in_bulk({member.pk for member, _kind, _facts in to_raise})  # in full, to raise
    raised = 0
    for member_id, alerts in groupby(to_raise, key=lambda item: item[0].pk):
        try:
            raised += _raise_for(accounts[member_id], [(kind, facts) for _m, kind, facts in alerts], now)
        except OUTAGE:
            raise  # the database is away: the scheduler ends its round and runs the pass again
        except Exception:
            log.exception("time rules: the alerts for member %s could not be raised; going on", member_id)
    return raised


def _raise_for(member: User, alerts: list[tuple[str, dict]], now: dt.datetime) -> int:
    """One member's alerts, in a transaction of their own: it holds that member's audit chain (and, on
    SQLite, the only write lock) for as long as these few take, never for a whole chunk's."""
    with transaction.atomic():
        return sum(raise_alert(member, kind, facts=facts, now=now)[1] for kind, facts in alerts)


# What a commitment's adherence and an alert's facts need: nothing of the tie but whether it is active.
COMMITMENT_FIELDS = "member tie title cadence weekdays interval_days times_per_week starts_on ends_on".split()


def _worst_missed_commitments(members: list, chunk: Q, now: dt.datetime) -> dict[int, tuple[int, Commitment]]:
    """Per member, the commitment with the most occurrences missed in a row (the first by title on a tie)."""
    watched = {member.pk for member in members}
    commitments = [
        commitment
        for commitment in Commitment.objects.filter(chunk)
        .select_related("tie")
        .only(*COMMITMENT_FIELDS, "tie__status")
        if commitment.member_id in watched
    ]
    adherence = load_adherence_many(members, commitments, now)
    worst: dict[int, tuple[int, Commitment]] = {}
    for commitment in commitments:  # in the order of Commitment.Meta, as the network page lists them
        result = adherence.get(commitment.pk)
        if result is None:
            continue
        best = worst.get(commitment.member_id)
        if best is None or result.missed_in_a_row > best[0]:
            worst[commitment.member_id] = (result.missed_in_a_row, commitment)
    return worst


def _missed_facts(count: int, commitment: Commitment) -> dict:
    return {"count": count, "title": commitment.title, "commitment": commitment.pk}
