"""The rules that turn signals into alerts, and the arithmetic of delivery, as plain functions.

Nothing here touches the database, the clock or the network; `rules.py`, `outbox.py` and
`delivery.py` feed these functions what they need.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

# The links to reach a person directly are shared with the check-in page; kept importable from here.
from circles.lib.contact_links import DirectContact, dialable, direct_contact  # noqa: F401

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# Alert kinds. Stored: never rename one, only add.
SOS = "sos"
SAFETY = "safety"
CRAVING = "craving"
LOW_MOOD = "low_mood"
RETURN_TO_USE = "return_to_use"
MISSED_COMMITMENTS = "missed_commitments"
DISENGAGEMENT = "disengagement"

KIND_LABELS: dict[str, StrOrPromise] = {
    SOS: _("You asked for support"),
    SAFETY: _("A safety answer"),
    CRAVING: _("High craving"),
    LOW_MOOD: _("Low mood"),
    RETURN_TO_USE: _("A return to use"),
    MISSED_COMMITMENTS: _("Missed commitments"),
    DISENGAGEMENT: _("Out of touch"),
}
# These reach people even in their quiet hours.
URGENT_KINDS = frozenset({SOS, SAFETY})

# Channels a ladder can use. Stored: never rename one, only add.
EMAIL, SMS, IN_APP, WEBHOOK, PUSH = "email", "sms", "in_app", "webhook", "push"
CHANNEL_LABELS: dict[str, StrOrPromise] = {
    IN_APP: _("In Circles"),
    EMAIL: _("Email"),
    SMS: _("Text message"),
    WEBHOOK: _("Webhook"),
    # Web Push to the devices where the person turned notifications on (circles/accounts/push.py).
    PUSH: _("Notification on their devices"),
}
CHANNELS = tuple(CHANNEL_LABELS)

# How the member is told each channel reaches someone: "Asking Sam by text message and email now."
# A channel added later without words here is named by its label ("by Push").
CHANNEL_NOUNS: dict[str, StrOrPromise] = {
    EMAIL: _("email"),
    SMS: _("text message"),
    WEBHOOK: _("webhook"),
    PUSH: _("phone notification"),
}


def and_list(items: Sequence[str]) -> str:
    """ "Sam", "Sam and Jamie", "Sam, Alex and Jamie": names or ways joined as a sentence reads them."""
    items = [str(item) for item in items]
    if len(items) < 2:
        return "".join(items)
    return _("%(first)s and %(last)s") % {"first": ", ".join(items[:-1]), "last": items[-1]}


def reached_by(channels: Iterable[str]) -> str:
    """How someone is reached, in words: "by text message and email", "by email and in Circles"."""
    channels = list(dict.fromkeys(channels))
    by = [str(CHANNEL_NOUNS.get(c) or CHANNEL_LABELS.get(c, c)) for c in channels if c != IN_APP]
    ways = [_("by %(channels)s") % {"channels": and_list(by)}] if by else []
    if IN_APP in channels:
        ways.append(str(_("in Circles")))
    return and_list(ways)


def people_reached(people: Iterable[tuple[str, Sequence[str]]]) -> str:
    """ "Sam by text message and email and Jamie in Circles": each person with how they are reached."""
    return and_list([f"{name} {reached_by(channels)}".strip() for name, channels in people])


@dataclass(frozen=True)
class LadderStep:
    """Where asking stands, or would start: who a step asks and by which channels, when the next step
    starts if nobody answers (None: no step is waiting on a timer) and whom it asks (empty: nobody is
    left on the ladder after this step)."""

    asking: tuple[tuple[str, tuple[str, ...]], ...]
    next_at: dt.datetime | None = None
    next_people: tuple[str, ...] = ()
    window_minutes: int = 0

    @property
    def asking_text(self) -> str:
        return people_reached(self.asking)

    @property
    def next_text(self) -> str:
        return and_list(self.next_people)


DEFAULT_WINDOW_MINUTES = 10
MIN_WINDOW_MINUTES, MAX_WINDOW_MINUTES = 1, 240
MAX_RUNGS = 6
MAX_PEOPLE_PER_RUNG = 5


@dataclass(frozen=True)
class Threshold:
    """One number the member can tune, the range it may take, and why the default is what it is."""

    field: str
    label: StrOrPromise
    default: int
    low: int
    high: int
    reason: StrOrPromise


THRESHOLDS: tuple[Threshold, ...] = (
    Threshold(
        "craving_level",
        _("Craving at or above (0–10)"),
        7,
        5,
        10,
        _("7 of 10 is strong craving on the check-in scale; lower levels come and go for most people."),
    ),
    Threshold(
        "craving_days",
        _("for this many days running"),
        3,
        2,
        7,
        _("One hard day is common; several in a row is a pattern worth a call."),
    ),
    Threshold(
        "low_mood_level",
        _("Mood at or below (0–10)"),
        3,
        1,
        5,
        _("3 of 10 or lower is clearly low on the check-in scale."),
    ),
    Threshold(
        "low_mood_days",
        _("for this many days running"),
        3,
        2,
        7,
        _("Low mood for several days running is an early warning sign worth sharing."),
    ),
    Threshold(
        "missed_commitments",
        _("Missed commitment occurrences in a row"),
        3,
        2,
        10,
        _("Two misses can be chance (commitments already show drift then); three suggests pulling away."),
    ),
    Threshold(
        "disengaged_days",
        _("Days without contact with anyone in your circle"),
        14,
        7,
        60,
        _("Two weeks without logging contact with any family, friend, professional or peer is isolation."),
    ),
)
THRESHOLD_BY_FIELD = {t.field: t for t in THRESHOLDS}


def clamp_threshold(field: str, value: int) -> int:
    bound = THRESHOLD_BY_FIELD[field]
    return max(bound.low, min(bound.high, value))


def streak_holds(values_by_day: Mapping[dt.date, int], end: dt.date, days: int, holds) -> bool:
    """True when each of the `days` calendar days ending on `end` has a value for which `holds` is true.

    A day without a check-in breaks the run: the rule speaks of days the member told us about.
    """
    return all(
        (value := values_by_day.get(end - dt.timedelta(days=back))) is not None and holds(value)
        for back in range(days)
    )


def in_quiet_hours(local: dt.time, start: dt.time | None, end: dt.time | None) -> bool:
    """Quiet hours may run past midnight (22:00–07:00); equal or missing bounds mean none."""
    if start is None or end is None or start == end:
        return False
    if start < end:
        return start <= local < end
    return local >= start or local < end


def backoff_seconds(attempt: int, *, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Capped exponential backoff with "equal jitter": a uniform wait in [c/2, c], c = min(cap, base·2^(n-1)).

    `attempt` counts from 1 (the wait after the first failure). Half of each wait is guaranteed, so the
    retries of a whole attempt budget span a known time however the dice fall; the other half spreads
    many retries apart.
    """
    ceiling = min(cap, base * (2 ** max(0, attempt - 1)))
    floor = ceiling / 2
    return (rng or random).uniform(floor, ceiling)  # noqa: S311 — spreading retries, not a secret


def sending_is_delayed(
    still_asking: bool,
    pending_since: Iterable[dt.datetime],
    now: dt.datetime,
    after_seconds: float,
    *,
    all_failed: bool = False,
) -> bool:
    """Whether the member should be told sending is delayed: an alert still asking its ladder has a
    message that has waited `after_seconds` (ALERT_DELAYED_SECONDS) or more without going out, or
    every message it made has failed for good (`all_failed`: nobody was reached, none is waiting).

    `pending_since` is when each message not yet sent was created. A worker that is down, stuck or
    failing looks the same to the member: nobody has been told yet.
    """
    if not still_asking:
        return False
    if all_failed:
        return True
    waited_since = now - dt.timedelta(seconds=after_seconds)
    return any(created_at <= waited_since for created_at in pending_since)


SIGNATURE_HEADER = "Circles-Signature"
TIMESTAMP_HEADER = "Circles-Timestamp"
IDEMPOTENCY_HEADER = "Idempotency-Key"
REPLAY_TOLERANCE_SECONDS = 300


def webhook_signature(secret: str, timestamp: int, body: bytes) -> str:
    """HMAC-SHA256 over "<timestamp>.<body>" with the endpoint's secret, as lowercase hex."""
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def webhook_signature_valid(
    secret: str, timestamp: str, body: bytes, signature: str, now: float, tolerance=REPLAY_TOLERANCE_SECONDS
) -> bool:
    """What a receiver checks: a fresh timestamp and a matching signature (compared in constant time)."""
    try:
        moment = int(timestamp)
    except ValueError:
        return False
    if abs(now - moment) > tolerance:
        return False
    return hmac.compare_digest(webhook_signature(secret, moment, body), signature)


# What a recipient may read of why an alert fired: only what their consent covers (None: nothing).
REASON_SCOPE: dict[str, str | None] = {
    SOS: None,  # nothing to explain: the member's own message (if any) is what the people asked read
    SAFETY: "results.safety_screen",
    CRAVING: "mood",
    LOW_MOOD: "mood",
    RETURN_TO_USE: "returns_to_use",
    MISSED_COMMITMENTS: None,
    DISENGAGEMENT: None,
}


def reason_scope(kind: str, facts: Mapping[str, object]) -> str | None:
    """The consent scope a recipient needs to read why this alert fired (None: nobody may)."""
    if kind == SAFETY and facts.get("source") == "phq9_item9":
        return "results.depression"  # a PHQ-9 answer, not a screener result
    return REASON_SCOPE.get(kind)


def reason_text(kind: str, facts: Mapping[str, object]) -> str:
    """Why an alert fired, in plain words that suit both the member and a supporter allowed to read it."""
    days = _whole(facts.get("days"))
    count = _whole(facts.get("count"))
    level = facts.get("level")
    if kind == SOS:
        return str(_('Asked for support with "I need help now".'))
    if kind == SAFETY:
        return str(_("A questionnaire answer about thoughts of self-harm."))
    if kind == CRAVING:
        return ngettext(
            "Craving at %(level)s or more out of 10 on %(days)d check-in in a row.",
            "Craving at %(level)s or more out of 10 on %(days)d check-ins in a row.",
            days,
        ) % {"level": level, "days": days}
    if kind == LOW_MOOD:
        return ngettext(
            "Mood at %(level)s or less out of 10 on %(days)d check-in in a row.",
            "Mood at %(level)s or less out of 10 on %(days)d check-ins in a row.",
            days,
        ) % {"level": level, "days": days}
    if kind == RETURN_TO_USE:
        return str(_("A return to use was recorded in a check-in."))
    if kind == MISSED_COMMITMENTS:
        return ngettext(
            "%(count)d occurrence in a row of “%(title)s” was missed.",
            "%(count)d occurrences in a row of “%(title)s” were missed.",
            count,
        ) % {"count": count, "title": facts.get("title", "")}
    if kind == DISENGAGEMENT:
        return ngettext(
            "No contact logged with anyone in the circle for %(days)d day.",
            "No contact logged with anyone in the circle for %(days)d days.",
            days,
        ) % {"days": days}
    return str(_("A rule fired."))


def _whole(value: object) -> int:
    return value if isinstance(value, int) else 0
