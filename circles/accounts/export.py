"""Everything Circles holds about one person, as a JSON document and as a FHIR R4 Bundle.

`EXPORTERS` names, for every model with data about a person, the function that lists that person's
rows; `NOT_MEMBER_DATA` says why each other model holds none. A test checks that every model is in
one or the other, so a new model cannot be left out of the download by accident.

Other people's words never appear: a supporter's account is shown as "linked", never by name, and
the encouragement the person sent to others is listed without the other member's records.
"""

import datetime as dt
import uuid
from collections.abc import Callable, Iterable

from axes.models import AccessAttempt, AccessAttemptExpiration, AccessFailureLog, AccessLog
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.db import models
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle

from circles.accounts.models import PersonalAccessToken, Role, User
from circles.alerts.models import (
    Acknowledgement,
    Alert,
    AlertSettings,
    DeliveryAttempt,
    EscalationTimer,
    Notification,
    Rung,
    RungPerson,
)
from circles.audit.models import AuditEvent
from circles.checkins import fhir as checkins_fhir
from circles.checkins.models import (
    Assessment,
    CheckIn,
    CheckInSettings,
    MeasureSchedule,
    QuestionnaireDefinition,
    SafetySignal,
    SleepQuality,
)
from circles.network.models import (
    Commitment,
    Interaction,
    InteractionKind,
    Relationship,
    Tie,
    TieStatus,
    TieStatusChange,
)
from circles.sharing.fhir import consent_resource
from circles.sharing.models import Consent, Invitation
from circles.worker.models import WorkerHeartbeat

FORMAT_VERSION = 1
CONTENT_TYPES = {"json": "application/json", "fhir": "application/fhir+json"}
Row = dict[str, object]


def _plain(value: object) -> object:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def _row(record: models.Model, names: Iterable[str], **extra: object) -> Row:
    """The named fields of a record as JSON-able values, then any extra keys."""
    row = {name: _plain(getattr(record, name)) for name in names}
    row.update({key: _plain(value) for key, value in extra.items()})
    return row


# Each function's name is the name of its section in the JSON download.


def profile(user: User) -> list[Row]:
    # Never the password hash or the session secret.
    return [_row(user, ["id", "email", "display_name", "timezone", "date_joined", "last_login"])]


def roles(user: User) -> list[Row]:
    return [_row(role, ["kind", "granted_at"]) for role in Role.objects.filter(user=user).order_by("id")]


def access_tokens(user: User) -> list[Row]:
    # Never the token's hash: only what the tokens page shows.
    return [
        _row(token, ["id", "name", "hint", "created_at", "last_used_at", "revoked_at"])
        for token in PersonalAccessToken.objects.filter(user=user).order_by("id")
    ]


def sign_ins(user: User) -> list[Row]:
    """Successful log-ins to the account, as django-axes records them."""
    return [
        _row(entry, ["attempt_time", "logout_time", "ip_address", "user_agent"])
        for entry in AccessLog.objects.filter(username__iexact=user.email).order_by("attempt_time")
    ]


TIE_FIELDS = [
    "id",
    "display_name",
    "relationship",
    "pillar",
    "pillar_override",
    "circle",
    "support_kinds",
    "contact_frequency",
    "importance",
    "substance_use",
    "stance",
    "quality",
    "strain_flags",
    "boundaries",
    "email",
    "phone",
    "status",
    "status_since",
    "created_at",
    "updated_at",
]


def ties(user: User) -> list[Row]:
    # Whether a supporter's account is linked, never whose it is.
    return [
        _row(tie, TIE_FIELDS, supporter_linked=tie.supporter_id is not None)
        for tie in Tie.objects.filter(member=user).order_by("id")
    ]


def tie_status_changes(user: User) -> list[Row]:
    return [
        _row(change, ["id", "tie_id", "status", "changed_at", "note"])
        for change in TieStatusChange.objects.filter(tie__member=user).order_by("id")
    ]


def contacts(user: User) -> list[Row]:
    """The member's contact log, their private notes included; encouragement with its message."""
    rows = []
    for interaction in Interaction.objects.filter(member=user).order_by("id"):
        row = _row(
            interaction,
            ["id", "tie_id", "occurred_at", "kind", "duration_minutes", "quality", "note", "created_at"],
        )
        if interaction.kind == InteractionKind.ENCOURAGEMENT:
            row.update(message=interaction.message, from_supporter=True)
        rows.append(row)
    return rows


def encouragement_sent(user: User) -> list[Row]:
    """What the person wrote to members they support: their words only, nothing of the member's log."""
    return [
        _row(interaction, ["occurred_at", "message"])
        for interaction in Interaction.objects.filter(sent_by=user).order_by("id")
    ]


def commitments(user: User) -> list[Row]:
    names = ["id", "tie_id", "title", "cadence", "weekdays", "interval_days", "times_per_week"]
    return [
        _row(commitment, [*names, "starts_on", "ends_on", "created_at"])
        for commitment in Commitment.objects.filter(member=user).order_by("id")
    ]


CHECKIN_FIELDS = [
    "id",
    "day",
    "mood",
    "craving",
    "stress",
    "sleep_quality",
    "used",
    "substance",
    "use_note",
    "helped",
    "struggling",
    "late",
    "created_at",
    "updated_at",
]


def checkins(user: User) -> list[Row]:
    return [
        _row(checkin, CHECKIN_FIELDS, struggling_for=sorted(tie.pk for tie in checkin.struggling_for.all()))
        for checkin in CheckIn.objects.filter(member=user).prefetch_related("struggling_for").order_by("day")
    ]


def checkin_settings(user: User) -> list[Row]:
    return [
        _row(row, ["count_days", "recovery_started_on", "screening_sex"])
        for row in CheckInSettings.objects.filter(member=user)
    ]


def questionnaire_schedules(user: User) -> list[Row]:
    return [
        _row(schedule, ["instrument", "interval_days"])
        for schedule in MeasureSchedule.objects.filter(member=user).order_by("instrument")
    ]


ASSESSMENT_FIELDS = [
    "id",
    "instrument",
    "status",
    "answers",
    "started_at",
    "completed_at",
    "day",
    "total",
    "band",
    "subscales",
    "flags",
    "scoring_version",
    "offered_after_id",
]


def questionnaires(user: User) -> list[Row]:
    return [
        _row(
            assessment,
            ASSESSMENT_FIELDS,
            questionnaire=assessment.definition.canonical,
            language=assessment.definition.language,
        )
        for assessment in Assessment.objects.filter(member=user).select_related("definition").order_by("id")
    ]


def safety_signals(user: User) -> list[Row]:
    return [
        _row(signal, ["id", "source", "tier", "assessment_id", "created_at", "handled_at"])
        for signal in SafetySignal.objects.filter(member=user).order_by("id")
    ]


def invitations(user: User) -> list[Row]:
    # Never the nonce: with it, an old link could be forged back to life.
    names = ["id", "tie_id", "email", "status", "created_at", "sent_at", "send_count", "expires_at"]
    return [
        _row(invitation, [*names, "cancelled_at", "accepted_at"])
        for invitation in Invitation.objects.filter(member=user).order_by("id")
    ]


CONSENT_FIELDS = [
    "id",
    "tie_id",
    "recipient_name",
    "recipient_relationship",
    "scopes",
    "revoked",
    "purpose",
    "expires_on",
    "expires_at",
    "expiry_event",
    "statement",
    "signature_name",
    "signed_at",
    "signed_address",
    "superseded_at",
]


def consents(user: User) -> list[Row]:
    return [
        _row(consent, CONSENT_FIELDS, recipient_account_linked=consent.recipient_account_id is not None)
        for consent in Consent.objects.filter(member=user).order_by("id")
    ]


def alert_settings(user: User) -> list[Row]:
    names = [f.name for f in AlertSettings._meta.fields if f.name not in ("id", "member")]
    return [_row(row, names) for row in AlertSettings.objects.filter(member=user)]


def crisis_ladder(user: User) -> list[Row]:
    return [_row(rung, ["id", "position", "window_minutes"]) for rung in Rung.objects.filter(member=user)]


def crisis_ladder_people(user: User) -> list[Row]:
    # The webhook's signing secret is a credential for the receiver, not information about the person.
    names = ["id", "rung_id", "tie_id", "channels", "quiet_from", "quiet_until", "webhook_url"]
    return [_row(person, names) for person in RungPerson.objects.filter(rung__member=user).order_by("id")]


def alerts(user: User) -> list[Row]:
    names = ["id", "kind", "facts", "message", "urgent", "status", "rung", "created_at", "answered_at"]
    return [
        _row(alert, [*names, "exhausted_at", "closed_at", "closed_by_member"], reason=alert.reason)
        for alert in Alert.objects.filter(member=user).order_by("id")
    ]


def alert_notifications(user: User) -> list[Row]:
    names = ["id", "alert_id", "rung", "tie_id", "recipient_name", "channel", "address", "status"]
    return [
        _row(n, [*names, "skip_reason", "attempts", "created_at", "sent_at", "last_error"])
        for n in Notification.objects.filter(alert__member=user).order_by("id")
    ]


def alert_delivery_attempts(user: User) -> list[Row]:
    names = ["notification_id", "number", "started_at", "finished_at", "ok", "error", "next_attempt_at"]
    return [
        _row(a, names)
        for a in DeliveryAttempt.objects.filter(notification__alert__member=user).order_by("id")
    ]


def alert_timers(user: User) -> list[Row]:
    return [
        _row(t, ["alert_id", "rung", "due_at", "fired_at"])
        for t in EscalationTimer.objects.filter(alert__member=user).order_by("id")
    ]


def alert_answers(user: User) -> list[Row]:
    return [
        _row(a, ["alert_id", "tie_id", "name", "at"])
        for a in Acknowledgement.objects.filter(alert__member=user).order_by("id")
    ]


def access_history(user: User) -> list[Row]:
    """Who read or changed the person's data, and when: the audit rows about them."""
    return [
        _row(event, ["at", "actor_id", "action", "object_ref", "outcome"])
        for event in AuditEvent.objects.filter(subject_id=user.pk).order_by("id")
    ]


EXPORTERS: dict[type[models.Model], Callable[[User], list[Row]]] = {
    User: profile,
    Role: roles,
    PersonalAccessToken: access_tokens,
    AccessLog: sign_ins,
    Tie: ties,
    TieStatusChange: tie_status_changes,
    Interaction: contacts,
    Commitment: commitments,
    CheckIn: checkins,
    CheckInSettings: checkin_settings,
    MeasureSchedule: questionnaire_schedules,
    Assessment: questionnaires,
    SafetySignal: safety_signals,
    Invitation: invitations,
    Consent: consents,
    AuditEvent: access_history,
    AlertSettings: alert_settings,
    Rung: crisis_ladder,
    RungPerson: crisis_ladder_people,
    Alert: alerts,
    Notification: alert_notifications,
    DeliveryAttempt: alert_delivery_attempts,
    EscalationTimer: alert_timers,
    Acknowledgement: alert_answers,
}

# Sections that are not "the person's rows of one model".
EXTRA_SECTIONS: list[Callable[[User], list[Row]]] = [encouragement_sent]

NOT_MEMBER_DATA: dict[type[models.Model], str] = {
    QuestionnaireDefinition: "The wording of questionnaires, the same for every member of the deployment; "
    "each answered questionnaire names the wording it used.",
    WorkerHeartbeat: "The background worker's own liveness record (host and process id).",
    Session: "Opaque sign-in state (account number and a hash); the person's sessions end on erasure.",
    ContentType: "Django's catalogue of models.",
    Permission: "Django's catalogue of permissions; Circles grants capabilities through roles.",
    Group: "Django's permission groups, not used by Circles.",
    AccessAttempt: "Counts of failed log-ins under an address, which anyone may have typed; kept for the "
    "cool-off only, and removed on erasure.",
    AccessFailureLog: "Failed log-ins under an address, which anyone may have typed; removed on erasure.",
    AccessAttemptExpiration: "When a failed-log-in count expires; no data about anyone.",
}


def export_json(user: User) -> dict:
    """Every section of the person's data, each a list of rows."""
    document: dict[str, object] = {
        "format_version": FORMAT_VERSION,
        "exported_at": timezone.now().isoformat(),
    }
    for section in [*EXPORTERS.values(), *EXTRA_SECTIONS]:
        document[section.__name__] = section(user)
    return document


# --- FHIR R4

ROLE_CODE = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"
# Relationships with a reasonable v3 RoleCode; the rest go as text only.
ROLE_CODES = {
    Relationship.PARTNER: ("SIGOTHR", "significant other"),
    Relationship.PARENT: ("PRN", "parent"),
    Relationship.SIBLING: ("SIB", "sibling"),
    Relationship.CHILD: ("CHILD", "child"),
    Relationship.OTHER_FAMILY: ("FAMMEMB", "family member"),
    Relationship.FRIEND: ("FRND", "unrelated friend"),
    Relationship.NEIGHBOUR: ("NBOR", "neighbor"),
}
UCUM = "http://unitsofmeasure.org"
SURVEY = {
    "coding": [
        {
            "system": "http://terminology.hl7.org/CodeSystem/observation-category",
            "code": "survey",
            "display": "Survey",
        }
    ]
}


def _urn(kind: str, key: object) -> str:
    # The namespace of circles.checkins.fhir, so a questionnaire keeps its fullUrl in either download.
    return f"urn:uuid:{uuid.uuid5(checkins_fhir.NAMESPACE, f'{kind}:{key}')}"


def _member_reference(user: User) -> dict:
    return {
        "reference": _urn("Patient", user.pk),
        "identifier": {"system": "urn:circles:member", "value": str(user.pk)},
        "display": user.display_name,
    }


def patient(user: User) -> dict:
    return {
        "resourceType": "Patient",
        "identifier": [{"system": "urn:circles:member", "value": str(user.pk)}],
        "active": user.is_active,
        "name": [{"text": user.display_name}],
        "telecom": [{"system": "email", "value": user.email}],
    }


def related_person(tie: Tie, user: User) -> dict:
    relationship: dict[str, object] = {"text": tie.get_relationship_display()}
    if tie.relationship in ROLE_CODES:
        code, display = ROLE_CODES[Relationship(tie.relationship)]
        relationship["coding"] = [{"system": ROLE_CODE, "code": code, "display": display}]
    resource: dict[str, object] = {
        "resourceType": "RelatedPerson",
        "identifier": [{"system": "urn:circles:tie", "value": str(tie.pk)}],
        "active": tie.status != TieStatus.ENDED,
        "patient": _member_reference(user),
        "relationship": [relationship],
        "name": [{"text": tie.display_name}],
    }
    telecom = []
    if tie.email:
        telecom.append({"system": "email", "value": tie.email})
    if tie.phone:
        telecom.append({"system": "phone", "value": tie.phone})
    if telecom:
        resource["telecom"] = telecom
    return resource


def _score(code: str, text: str, value: int) -> dict:
    return {
        "code": {"coding": [{"system": "urn:circles:checkin", "code": code}], "text": text},
        "valueQuantity": {"value": value, "unit": "score", "system": UCUM, "code": "{score}"},
    }


def checkin_observation(checkin: CheckIn, user: User) -> dict:
    """One day's check-in: mood, craving and stress (0–10), sleep quality (1–5) and any use."""
    sleep = SleepQuality(checkin.sleep_quality)
    return {
        "resourceType": "Observation",
        "identifier": [{"system": "urn:circles:checkin", "value": str(checkin.pk)}],
        "status": "final",
        "category": [SURVEY],
        "code": {"coding": [{"system": "urn:circles:checkin", "code": "daily"}], "text": "Daily check-in"},
        "subject": _member_reference(user),
        "effectiveDateTime": checkin.day.isoformat(),
        "issued": checkin.updated_at.isoformat(),
        "component": [
            _score("mood", "Mood (0–10)", checkin.mood),
            _score("craving", "Craving (0–10)", checkin.craving),
            _score("stress", "Stress (0–10)", checkin.stress),
            {
                "code": {"coding": [{"system": "urn:circles:checkin", "code": "sleep"}], "text": "Sleep"},
                "valueCodeableConcept": {
                    "coding": [{"system": "urn:circles:sleep-quality", "code": str(sleep.value)}],
                    "text": str(sleep.label),
                },
            },
            {
                "code": {
                    "coding": [{"system": "urn:circles:checkin", "code": "used"}],
                    "text": "Any use since the last check-in",
                },
                "valueBoolean": checkin.used,
            },
        ],
    }


def export_fhir(user: User) -> dict:
    """A collection Bundle: the person, their ties, consents, questionnaires and check-ins, validated."""
    patient_urn = _urn("Patient", user.pk)
    entries = [{"fullUrl": patient_urn, "resource": patient(user)}]
    for tie in Tie.objects.filter(member=user).order_by("id"):
        entries.append({"fullUrl": _urn("RelatedPerson", tie.pk), "resource": related_person(tie, user)})
    for consent in Consent.objects.filter(member=user).select_related("member", "tie").order_by("id"):
        entries.append({"fullUrl": _urn("Consent", consent.pk), "resource": consent_resource(consent)})
    completed = (
        Assessment.objects.completed()
        .filter(member=user)
        .select_related("member", "definition")
        .order_by("id")
    )
    for assessment in completed:
        response_urn = _urn("QuestionnaireResponse", assessment.pk)
        entries.append(
            {"fullUrl": response_urn, "resource": checkins_fhir.questionnaire_response(assessment)}
        )
        entries.append(
            {
                "fullUrl": _urn("Observation", assessment.pk),
                "resource": checkins_fhir.score_observation(assessment, response_urn),
            }
        )
    for checkin in CheckIn.objects.filter(member=user).order_by("day"):
        entries.append(
            {"fullUrl": _urn("CheckIn", checkin.pk), "resource": checkin_observation(checkin, user)}
        )
    bundle = {
        "resourceType": "Bundle",
        "identifier": {"system": "urn:circles:export", "value": str(uuid.uuid4())},
        "type": "collection",
        "timestamp": timezone.now().isoformat(),
        "entry": entries,
    }
    Bundle.model_validate(bundle)  # raises if we ever build something that is not valid FHIR
    return bundle
