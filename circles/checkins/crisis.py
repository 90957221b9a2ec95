"""Crisis resources for this deployment, region and language (configured by CRISIS_RESOURCES_PATH).

Showing them must never fail: a configured file that cannot be read falls back to the built-in one,
and `manage.py check` reports the problem so it is fixed at deploy time.
"""

import functools
import json
import logging
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core import checks

BUILTIN_PATH = Path(__file__).resolve().parent / "crisis_resources.json"
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CrisisResource:
    name: str
    detail: str
    phone: str = ""
    sms: str = ""
    url: str = ""


def _read(path: str | Path) -> dict[str, dict[str, list[CrisisResource]]]:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return {
        region: {
            language: [CrisisResource(**entry) for entry in entries]
            for language, entries in languages.items()
        }
        for region, languages in data.items()
        if not region.startswith("_")
    }


@functools.cache
def _load(path: str) -> dict[str, dict[str, list[CrisisResource]]]:
    try:
        return _read(path)
    except (OSError, ValueError, TypeError, AttributeError):
        logger.exception("Crisis resources at %s are unreadable; showing the built-in ones", path)
        return _read(BUILTIN_PATH)


def crisis_resources(language: str | None = None) -> list[CrisisResource]:
    """The resources for the configured region in `language`, falling back to its first language."""
    regions = _load(settings.CRISIS_RESOURCES_PATH)
    by_language = regions.get(settings.CRISIS_REGION) or next(iter(regions.values()), {})
    entries = by_language.get((language or "en").split("-")[0]) or next(iter(by_language.values()), [])
    return entries


@checks.register()
def check_crisis_resources(app_configs, **kwargs):
    """A deployment must show crisis resources for its own region."""
    try:
        regions = _read(settings.CRISIS_RESOURCES_PATH)
    except (OSError, ValueError, TypeError, AttributeError) as error:
        return [checks.Error(f"CRISIS_RESOURCES_PATH cannot be read: {error}", id="circles.E001")]
    if not regions.get(settings.CRISIS_REGION):
        return [
            checks.Error(
                f"CRISIS_RESOURCES_PATH has no resources for CRISIS_REGION={settings.CRISIS_REGION!r}",
                id="circles.E002",
            )
        ]
    return []
