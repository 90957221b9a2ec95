"""Check-in, questionnaire and safety changes. Safety signals are written in the caller's transaction."""

from collections.abc import Iterable, Mapping

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from circles.audit.models import Outcome
from circles.audit.trail import record
from circles.checkins import definitions, logic
from circles.checkins.events import CheckInSaved, SafetySignalRaised
from circles.checkins.models import (
    Assessment,
    CheckIn,
    CheckInSettings,
    MeasureSchedule,
    QuestionnaireDefinition,
    SafetySignal,
)
from circles.lib.events import announce
from circles.lib.time import local_today


@transaction.atomic
def do_save_checkin(checkin: CheckIn, struggling_for: Iterable | None, *, acting_user) -> CheckIn:
    """Records or changes a day's check-in (already validated). A day before today is marked late.

    `struggling_for` is the ties the struggle is meant for; None leaves a changed check-in's as they are.
    Only what changed is written, and nothing just written is read back: the check-in is on the hot
    path of every member's day (pinned by tests/test_query_counts.py).
    """
    checkin.member = acting_user
    if checkin.pk is None:
        checkin.late = checkin.day < local_today(acting_user)
        # The INSERT is this transaction's first write: when it is refused, the error leaving this
        # function rolls back only what the function did (its savepoint inside a caller's transaction),
        # so it needs no savepoint of its own.
        try:
            checkin.save()
        except IntegrityError:  # two taps on Save: the first one recorded the day
            raise ValidationError({"day": _("You have already checked in for this day.")}) from None
        ties = list(struggling_for or ())
        if ties:
            checkin.struggling_for.add(*ties)
    else:
        # A change keeps its member and day, so the one-check-in-a-day rule cannot be broken here.
        checkin.save()
        ties = _change_struggling_for(checkin, struggling_for)
    checkin.saved_ties = ties
    # Same transaction: an alert a receiver raises (circles/alerts) exists before the response returns.
    announce(CheckInSaved(checkin))
    return checkin


def _change_struggling_for(checkin: CheckIn, struggling_for: Iterable | None) -> list:
    """Writes only the ties added or taken away; reads the current ones from a prefetch when there is one."""
    current = list(checkin.struggling_for.all())
    if struggling_for is None:
        return current
    wanted = list(struggling_for)
    wanted_ids = {tie.pk for tie in wanted}
    current_ids = {tie.pk for tie in current}
    if gone := current_ids - wanted_ids:
        checkin.struggling_for.remove(*gone)
    if added := wanted_ids - current_ids:
        checkin.struggling_for.add(*added)
    return wanted


def checkin_settings(member) -> CheckInSettings:
    """The member's settings, unsaved defaults when they never changed any."""
    return CheckInSettings.objects.filter(member=member).first() or CheckInSettings(member=member)


def do_save_checkin_settings(settings_row: CheckInSettings, *, acting_user) -> CheckInSettings:
    settings_row.member = acting_user
    settings_row.save()
    return settings_row


def do_set_schedule(member, instrument: str, interval_days: int | None, *, acting_user) -> MeasureSchedule:
    schedule, _created = MeasureSchedule.objects.update_or_create(
        member=member, instrument=instrument, defaults={"interval_days": interval_days}
    )
    return schedule


def do_start_assessment(member, instrument: str, *, language: str, offered_after=None) -> Assessment:
    """Opens a questionnaire, or resumes the one saved part-way."""
    saved = (
        Assessment.objects.filter(member=member, instrument=instrument, status=Assessment.Status.IN_PROGRESS)
        .order_by("-started_at")
        .first()
    )
    if saved:
        return saved
    return Assessment.objects.create(
        member=member,
        instrument=instrument,
        definition=definitions.definition_for(instrument, language, member),
        offered_after=offered_after,
    )


def _merge(structure: logic.Structure, saved: Mapping, given: Mapping) -> dict:
    """Earlier answers plus the new ones; earlier answers that skip logic now hides are dropped."""
    merged = {**saved, **given}
    shown = {item.link_id for item in structure.enabled(merged)}
    return {link_id: value for link_id, value in merged.items() if link_id in shown or link_id in given}


def do_save_answers(assessment: Assessment, given: Mapping, *, complete: bool, acting_user) -> Assessment:
    """Saves answers part-way or completes and scores the questionnaire, raising safety signals at once.

    Every valid answer is kept, even when others are refused or missing: a self-harm answer must never
    be lost to a blank elsewhere. Problems raise ValidationError afterwards, one entry per question
    ("answers.<linkId>"); the questionnaire then stays saved part-way.
    """
    if assessment.is_complete:
        raise ValidationError({"status": _("This questionnaire is already complete; start a new one.")})
    structure = assessment.spec.structure
    answers = _merge(structure, assessment.answers, given)
    errors = logic.answer_errors(structure, answers, complete=False)
    answers = {link_id: value for link_id, value in answers.items() if link_id not in errors}
    if complete and not errors:
        errors = logic.answer_errors(structure, answers, complete=True)
    with transaction.atomic():
        assessment.answers = answers
        if complete and not errors:
            _score(assessment, acting_user)
        assessment.save()
        _raise_safety_signals(assessment)
    if errors:
        raise ValidationError({f"answers.{link_id}": messages for link_id, messages in errors.items()})
    return assessment


def _score(assessment: Assessment, acting_user) -> None:
    result = logic.score(
        assessment.instrument, assessment.answers, sex=checkin_settings(acting_user).screening_sex or None
    )
    assessment.status = Assessment.Status.COMPLETED
    assessment.completed_at = timezone.now()
    assessment.day = local_today(acting_user)
    assessment.total = result.total
    assessment.band = result.band or ""
    assessment.subscales = result.subscales
    assessment.flags = list(result.flags)
    assessment.scoring_version = assessment.spec.scoring_version


def _raise_safety_signals(assessment: Assessment) -> None:
    """A self-harm answer or a positive screen is recorded as soon as it is saved, finished or not.

    Signals are never changed: a screen whose risk rises as more answers come in adds a new one.
    """
    instrument, link_id = logic.SAFETY_ITEM
    raised = list(assessment.safety_signals.values_list("source", "tier"))
    if (
        assessment.instrument == instrument
        and (assessment.answers.get(link_id) or 0) > 0
        and not any(source == SafetySignal.Source.SAFETY_ITEM for source, _tier in raised)
    ):
        _announce_signal(
            SafetySignal.objects.create(
                member=assessment.member, source=SafetySignal.Source.SAFETY_ITEM, assessment=assessment
            )
        )
    tier = screen_tier(assessment)
    if tier is None or tier == logic.RISK_NONE:
        return
    rank = logic.RISK_TIERS.index
    highest = max((rank(t) for source, t in raised if source == SafetySignal.Source.SCREEN), default=0)
    if rank(tier) > highest:
        _announce_signal(
            SafetySignal.objects.create(
                member=assessment.member, source=SafetySignal.Source.SCREEN, tier=tier, assessment=assessment
            )
        )


def _announce_signal(signal: SafetySignal) -> SafetySignal:
    """Announced in the transaction that wrote it: the alerts app asks the ladder there (the outbox)."""
    announce(SafetySignalRaised(signal))
    return signal


def screen_tier(assessment: Assessment) -> str | None:
    """The C-SSRS risk tier from the answers so far (final once complete); None for other instruments."""
    if assessment.instrument != "cssrs":
        return None
    return assessment.band if assessment.is_complete else logic.risk_tier(assessment.answers)


def do_discard_assessment(assessment: Assessment, *, acting_user) -> None:
    """Throws away a questionnaire saved part-way (completed ones are the member's record)."""
    if assessment.is_complete:
        raise ValidationError(
            {"status": _("A completed questionnaire is kept; only one saved part-way can be discarded.")}
        )
    assessment.delete()


def do_ask_for_help(member, *, acting_user) -> SafetySignal:
    """The member pressed "I need help now": a durable signal, written before the page answers.

    Not announced: nothing above reacts to the press itself (the member confirms SOS on the next tap),
    and the crisis page must never depend on another app's code succeeding.
    """
    return SafetySignal.objects.create(member=member, source=SafetySignal.Source.HELP_NOW)


IMPORT_ACTION = "questionnaire.import"


def refuse_questionnaire_import(
    instrument: object, resource: object | None, *, acting_user
) -> PermissionDenied:
    """Records a refused import by someone who may not import, and returns the PermissionDenied to raise."""
    record(
        IMPORT_ACTION,
        acting_user,
        object_ref=definitions.import_reference(instrument, resource),
        outcome=Outcome.DENIED,
    )
    return PermissionDenied(definitions.import_refusal())


def do_import_questionnaire(instrument: str, resource: object, *, activate: bool, acting_user):
    """Adds official or translated wording for an instrument after checking its structure.

    Only a deployment administrator may (PermissionDenied otherwise). Every attempt is audited as
    "questionnaire.import" with the instrument and the SHA-256 of the file, refused ones as well.
    """
    if not definitions.may_import_questionnaires(acting_user):
        raise refuse_questionnaire_import(instrument, resource, acting_user=acting_user)
    object_ref = definitions.import_reference(instrument, resource)
    try:
        with transaction.atomic():
            definition = _save_definition(instrument, resource, activate=activate, acting_user=acting_user)
            record(IMPORT_ACTION, acting_user, object_ref=object_ref)
    except ValidationError:
        # Outside the rolled-back transaction, so the refusal stays on record.
        record(IMPORT_ACTION, acting_user, object_ref=object_ref, outcome=Outcome.DENIED)
        raise
    return definition


def import_for_audience(instrument: str, resource: object, *, audience: str, activate: bool, acting_user):
    """Wording offered only to the members in `audience` (definitions.audiences_of), checked exactly as a
    deployment-wide import is (the safety items keep their meaning). The caller has decided that the
    acting user may, and records the import in its own audit row in the same transaction. Raises
    ValidationError naming what is wrong, before anything is saved."""
    if not audience:
        raise ValueError("an audience import names its audience")
    return _save_definition(
        instrument, resource, activate=activate, acting_user=acting_user, audience=audience
    )


def _save_definition(instrument: str, resource: object, *, activate: bool, acting_user, audience: str = ""):
    checked = definitions.check_import(instrument, resource)
    language = checked.get("language") or "en"
    version = str(checked["version"])
    if QuestionnaireDefinition.objects.filter(
        instrument=instrument, language=language, version=version, builtin=False, audience=audience
    ).exists():
        raise ValidationError(
            {
                "resource": [
                    _(
                        "Version %(version)s in language %(language)s is already imported; "
                        "give it a new version."
                    )
                    % {"version": version, "language": language}
                ]
            }
        )
    if activate:
        QuestionnaireDefinition.objects.filter(
            instrument=instrument, language=language, builtin=False, audience=audience
        ).update(active=False)
    return QuestionnaireDefinition.objects.create(
        instrument=instrument,
        language=language,
        version=version,
        title=str(checked.get("title") or checked.get("name") or instrument)[:200],
        resource=checked,
        builtin=False,
        active=activate,
        audience=audience,
        imported_by=acting_user,
    )
