"""Everything Circles holds about one person, as a JSON document and as a FHIR R4 Bundle.

Each app says what it keeps in its `personal_data.py` (circles/lib/personal_data.py); this module gathers
them in the order the apps are installed. `EXPORTERS` names, for every model with data about a person,
the function that lists that person's rows; `NOT_MEMBER_DATA` says why each other model holds none. A
test checks that every model is in one or the other, so a new model cannot be left out by accident.

Other people's words never appear: a supporter's account is shown as "linked", never by name, and
the encouragement the person sent to others is listed without the other member's records.
"""

import uuid
from collections.abc import Callable
from importlib import import_module

from django.apps import AppConfig, apps
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.utils import timezone
from django.utils.module_loading import module_has_submodule
from fhir.resources.R4B.bundle import Bundle

from circles.lib.personal_data import PersonalData, Row, Section

FORMAT_VERSION = 1
CONTENT_TYPES = {"json": "application/json", "fhir": "application/fhir+json"}


def _declarations() -> list[tuple[AppConfig, PersonalData]]:
    """Every installed app's PERSONAL_DATA, in the order of INSTALLED_APPS; each model declared once.

    Found by name, as Django's admin finds admin.py: the one place Circles loads modules it does not
    import (docs/architecture.md), so that records reads every app's declaration without naming any.
    """
    declared = [
        (config, import_module(f"{config.name}.personal_data").PERSONAL_DATA)
        for config in apps.get_app_configs()
        if module_has_submodule(config.module, "personal_data")
    ]
    check_declared_once(declared)
    return declared


def check_declared_once(declared: list[tuple[AppConfig, PersonalData]]) -> None:
    """A model listed twice would be exported twice, or exported and explained away at once."""
    seen: dict[type[models.Model], str] = {}
    for config, part in declared:
        for model in [*part.sections, *part.not_member_data]:
            if model in seen:
                raise ImproperlyConfigured(
                    f"{model._meta.label} is declared by {seen[model]} and again by {config.label}"
                )
            seen[model] = config.label


DECLARED = _declarations()
PARTS = [part for _config, part in DECLARED]
EXPORTERS: dict[type[models.Model], Section] = {m: f for part in PARTS for m, f in part.sections.items()}
EXTRA_SECTIONS: list[Section] = [section for part in PARTS for section in part.extra_sections]
NOT_MEMBER_DATA: dict[type[models.Model], str] = {
    model: why for part in PARTS for model, why in part.not_member_data.items()
}
FHIR_ENTRIES: list[Callable[..., list[dict]]] = [part.fhir_entries for part in PARTS if part.fhir_entries]
ERASURE_STEPS: list[Callable[..., None]] = [part.erase for part in PARTS if part.erase]
# In the Bundle: the person, the people around them, what they agreed to share with whom, then their
# records (questionnaires, check-ins, …) in the order the apps are installed.
FHIR_ORDER = {"Patient": 0, "RelatedPerson": 1, "Consent": 2}


def export_json(user) -> dict:
    """Every section of the person's data, each a list of rows."""
    document: dict[str, object] = {
        "format_version": FORMAT_VERSION,
        "exported_at": timezone.now().isoformat(),
    }
    sections: list[Callable[..., list[Row]]] = [*EXPORTERS.values(), *EXTRA_SECTIONS]
    for section in sections:
        document[section.__name__] = section(user)
    return document


def export_fhir(user) -> dict:
    """A collection Bundle: the person, their ties, consents, questionnaires and check-ins, validated."""
    entries = [entry for fhir_entries in FHIR_ENTRIES for entry in fhir_entries(user)]
    entries.sort(key=lambda entry: FHIR_ORDER.get(entry["resource"]["resourceType"], len(FHIR_ORDER)))
    bundle = {
        "resourceType": "Bundle",
        "identifier": {"system": "urn:circles:export", "value": str(uuid.uuid4())},
        "type": "collection",
        "timestamp": timezone.now().isoformat(),
        "entry": entries,
    }
    Bundle.model_validate(bundle)  # raises if we ever build something that is not valid FHIR
    return bundle
