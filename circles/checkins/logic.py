"""Validated measures as pure functions: structure, answer checks, scoring and bands. No ORM, no I/O.

What each instrument expects is built here in code, not read from its FHIR file, so a file with other
wording (an official or translated Questionnaire) can be checked against it: `structure_of` reads a
Questionnaire, `structure_differences` names every way it would change a score. The published scoring
rules and sources are written up in docs/measures.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_noop as N_

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# PHQ-9 item 9 asks about thoughts of death or self-harm: any answer above 0 raises a safety signal.
SAFETY_ITEM = ("phq9", "9")

CHOICE, BOOLEAN = "choice", "boolean"

# Flags a score can carry.
FLAG_SAFETY_ITEM = "safety_item"  # PHQ-9 item 9 above 0
FLAG_POSITIVE_SCREEN = "positive_screen"  # C-SSRS risk above "none"; reserved for suicide risk
FLAG_SCREEN_POSITIVE = "screen_positive"  # PHQ-2 or GAD-2 at 3 or more: worth the full questionnaire
FLAG_ABOVE_CUTOFF = "above_cutoff"  # AUDIT-C at or over the cut-off
FLAG_RECOVERY_CAPITAL = "recovery_capital_threshold"  # BARC-10 at 47 or more
FLAG_LOW_WELLBEING = "low_wellbeing"  # WHO-5 percentage 50 or less
FLAG_LIKELY_DEPRESSION = "likely_depression"  # WHO-5 percentage 28 or less
SAFETY_FLAGS = (FLAG_SAFETY_ITEM, FLAG_POSITIVE_SCREEN)

# C-SSRS screener risk tiers, lowest first.
RISK_NONE, RISK_LOW, RISK_MODERATE, RISK_HIGH = "none", "low", "moderate", "high"
RISK_TIERS = (RISK_NONE, RISK_LOW, RISK_MODERATE, RISK_HIGH)

SCREEN_CUTOFF = 3  # PHQ-2 and GAD-2
BARC10_THRESHOLD = 47
WHO5_LOW_WELLBEING = 50  # percentage at or below: low wellbeing
WHO5_LIKELY_DEPRESSION = 28  # percentage at or below: likely depression
AUDITC_CUTOFF = {"male": 4, "female": 3}
# When sex is not given we use the lower cut-off: a missed screen costs more than one extra conversation.
AUDITC_DEFAULT_CUTOFF = 3

ORDINAL_URLS = (
    "http://hl7.org/fhir/StructureDefinition/ordinalValue",
    "http://hl7.org/fhir/StructureDefinition/itemWeight",  # R5's name for the same idea
)
BAND_PRECISION = 2  # headline values are banded after rounding to this many decimal places


# --- Structure -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Option:
    value: int  # ordinal value used for scoring
    code: str  # valueCoding.code


@dataclass(frozen=True)
class ItemSpec:
    link_id: str
    kind: str  # "choice" or "boolean" (an imported file may hold other types; they never match)
    required: bool
    options: tuple[Option, ...] = ()  # empty for boolean
    # (question linkId, answer that enables); all must hold
    enable_when: tuple[tuple[str, bool | int], ...] = ()

    @property
    def values(self) -> frozenset[int]:
        return frozenset(option.value for option in self.options)


def _same_answer(given: object, expected: bool | int) -> bool:
    """Equality that keeps yes/no apart from numbers (in Python True == 1)."""
    if isinstance(expected, bool) or isinstance(given, bool):
        return isinstance(given, bool) and isinstance(expected, bool) and given is expected
    return isinstance(given, int) and given == expected


@dataclass(frozen=True)
class Structure:
    items: tuple[ItemSpec, ...]

    def item(self, link_id: str) -> ItemSpec | None:
        return next((item for item in self.items if item.link_id == link_id), None)

    def enabled(self, answers: Mapping[str, object]) -> list[ItemSpec]:
        """The items shown given skip logic, in order. A hidden question's answer never enables another."""
        shown: set[str] = set()
        changed = True
        while changed:  # conditions may point at later items; repeat until nothing new is shown
            changed = False
            for item in self.items:
                if item.link_id not in shown and all(
                    question in shown and _same_answer(answers.get(question), expected)
                    for question, expected in item.enable_when
                ):
                    shown.add(item.link_id)
                    changed = True
        return [item for item in self.items if item.link_id in shown]


def _choice(link_id: str, options: Iterable[tuple[int, str]], *, when=()) -> ItemSpec:
    return ItemSpec(
        link_id, CHOICE, True, tuple(Option(value, code) for value, code in options), enable_when=tuple(when)
    )


def _yes_no(link_id: str, *, when=()) -> ItemSpec:
    return ItemSpec(link_id, BOOLEAN, True, enable_when=tuple(when))


def _numbered(count: int, first: int = 0) -> tuple[tuple[int, str], ...]:
    """Options with Circles' own answer codes ("0", "1", …): the code is the ordinal value."""
    return tuple((value, str(value)) for value in range(first, first + count))


# LOINC answer codes where LOINC has them (checked against HL7 FHIR implementation guides).
PHQ_OPTIONS = ((0, "LA6568-5"), (1, "LA6569-3"), (2, "LA6570-1"), (3, "LA6571-9"))
AUDITC_OPTIONS = {
    "1": ((0, "LA6270-8"), (1, "LA18926-8"), (2, "LA18927-6"), (3, "LA18928-4"), (4, "LA18929-2")),
    "2": ((0, "LA15694-5"), (1, "LA15695-2"), (2, "LA18930-0"), (3, "LA18931-8"), (4, "LA18932-6")),
    "3": ((0, "LA6270-8"), (1, "LA18933-4"), (2, "LA18876-5"), (3, "LA18891-4"), (4, "LA18934-2")),
}
BAM_ITEMS = ("1", "2", "3", "4", "5", "6", "8", "9", "10", "11", "12", "13", "14", "15", "16", "17")
BAM_SUBSCALES = {
    "use": ("4", "5", "6"),
    "risk": ("1", "2", "3", "8", "11", "15"),
    "protective": ("9", "10", "12", "13", "14", "16"),
}
MSPSS_SUBSCALES = {
    "significant_other": ("1", "2", "5", "10"),
    "family": ("3", "4", "8", "11"),
    "friends": ("6", "7", "9", "12"),
}


def _bam_item(link_id: str) -> ItemSpec:
    if link_id == "14":  # enough income: "yes" is protective and counts 4, "no" counts 0
        return _choice(link_id, ((4, "4"), (0, "0")))
    return _choice(link_id, _numbered(5))


def _cssrs() -> Structure:
    after_thoughts = (("2", True),)
    return Structure(
        (
            _yes_no("1"),
            _yes_no("2"),
            _yes_no("3", when=after_thoughts),
            _yes_no("4", when=after_thoughts),
            _yes_no("5", when=after_thoughts),
            _yes_no("6"),
            _yes_no("6a", when=(("6", True),)),
        )
    )


# --- Instruments -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Band:
    code: str  # e.g. "minimal", "mild", "moderate", "moderately_severe", "severe"
    low: float  # inclusive, on the headline scale
    high: float  # inclusive
    label: StrOrPromise  # gettext_lazy: render with str() or in a template


@dataclass(frozen=True)
class Instrument:
    code: str
    name: str
    topic: str  # plain words, marked for translation (gettext_noop): show it with gettext / {% translate %}
    scale_min: float | None  # headline scale; None for BAM and C-SSRS, which have no total
    scale_max: float | None
    bands: tuple[Band, ...]  # for shading charts; () when none is published
    higher_is_better: bool
    default_interval_days: int | None  # None: not scheduled unless the member turns it on
    scoring_version: str  # bump when a scoring rule changes
    source: str  # the published scoring rule
    structure: Structure

    @property
    def label(self) -> str:
        """The topic in the reader's language, with the instrument's name: "Depression (PHQ-9)"."""
        return f"{_(self.topic)} ({self.name})"


PHQ9_BANDS = (
    Band("minimal", 0, 4, gettext_lazy("Minimal")),
    Band("mild", 5, 9, gettext_lazy("Mild")),
    Band("moderate", 10, 14, gettext_lazy("Moderate")),
    Band("moderately_severe", 15, 19, gettext_lazy("Moderately severe")),
    Band("severe", 20, 27, gettext_lazy("Severe")),
)
GAD7_BANDS = (
    Band("minimal", 0, 4, gettext_lazy("Minimal")),
    Band("mild", 5, 9, gettext_lazy("Mild")),
    Band("moderate", 10, 14, gettext_lazy("Moderate")),
    Band("severe", 15, 21, gettext_lazy("Severe")),
)
SCREEN_BANDS = (
    Band("below_cutoff", 0, 2, gettext_lazy("Below the screening cut-off")),
    Band("screen_positive", 3, 6, gettext_lazy("3 or more: worth taking the full questionnaire")),
)
# Percentages are multiples of 4, so no score falls between 28 and 29 or between 50 and 52.
WHO5_BANDS = (
    Band("very_low", 0, 28, gettext_lazy("Very low wellbeing")),
    Band("low", 29, 50, gettext_lazy("Low wellbeing")),
    Band("adequate", 52, 100, gettext_lazy("Above the low range")),
)
# Zimet's guide reads 1–2.9 low, 3–5 moderate, 5.1–7 high. Means are banded at 2 decimal places with
# no gaps: low below 3, moderate 3 to 5, high above 5.
MSPSS_BANDS = (
    Band("low", 1, 2.99, gettext_lazy("Low support")),
    Band("moderate", 3, 5, gettext_lazy("Moderate support")),
    Band("high", 5.01, 7, gettext_lazy("High support")),
)
BARC10_BANDS = (
    Band("below_threshold", 10, 46, gettext_lazy("Below 47: still building")),
    Band("threshold", 47, 60, gettext_lazy("47 or more: strong recovery capital")),
)

PHQ2_SOURCE = (
    "Kroenke K, Spitzer RL, Williams JBW. The Patient Health Questionnaire-2: validity of a two-item "
    "depression screener. Med Care. 2003;41(11):1284-1292."
)

INSTRUMENTS: dict[str, Instrument] = {
    instrument.code: instrument
    for instrument in (
        Instrument(
            "phq9",
            "PHQ-9",
            N_("Depression"),
            0,
            27,
            PHQ9_BANDS,
            higher_is_better=False,
            default_interval_days=14,
            scoring_version="1",
            source="Kroenke K, Spitzer RL, Williams JBW. The PHQ-9: validity of a brief depression severity "
            "measure. J Gen Intern Med. 2001;16(9):606-613.",
            structure=Structure(tuple(_choice(str(n), PHQ_OPTIONS) for n in range(1, 10))),
        ),
        Instrument(
            "gad7",
            "GAD-7",
            N_("Anxiety"),
            0,
            21,
            GAD7_BANDS,
            higher_is_better=False,
            default_interval_days=14,
            scoring_version="1",
            source="Spitzer RL, Kroenke K, Williams JBW, Löwe B. A brief measure for assessing generalized "
            "anxiety disorder: the GAD-7. Arch Intern Med. 2006;166(10):1092-1097.",
            structure=Structure(tuple(_choice(str(n), PHQ_OPTIONS) for n in range(1, 8))),
        ),
        Instrument(
            "who5",
            "WHO-5",
            N_("Wellbeing"),
            0,
            100,
            WHO5_BANDS,
            higher_is_better=True,
            default_interval_days=7,
            scoring_version="1",
            source="Topp CW, Østergaard SD, Søndergaard S, Bech P. The WHO-5 Well-Being Index: a systematic "
            "review of the literature. Psychother Psychosom. 2015;84(3):167-176.",
            structure=Structure(tuple(_choice(str(n), _numbered(6)) for n in range(1, 6))),
        ),
        Instrument(
            "mspss",
            "MSPSS",
            N_("Support from people around you"),
            1,
            7,
            MSPSS_BANDS,
            higher_is_better=True,
            default_interval_days=30,
            scoring_version="1",
            source="Zimet GD, Dahlem NW, Zimet SG, Farley GK. The Multidimensional Scale of Perceived Social "
            "Support. J Pers Assess. 1988;52(1):30-41.",
            structure=Structure(tuple(_choice(str(n), _numbered(7, first=1)) for n in range(1, 13))),
        ),
        Instrument(
            "barc10",
            "BARC-10",
            N_("Recovery capital"),
            10,
            60,
            BARC10_BANDS,
            higher_is_better=True,
            default_interval_days=30,
            scoring_version="1",
            source="Vilsaint CL, Kelly JF, Bergman BG, Groshkova T, Best D, White W. Development and "
            "validation of a Brief Assessment of Recovery Capital (BARC-10) for alcohol and drug use "
            "disorder. Drug Alcohol Depend. 2017;177:71-76.",
            structure=Structure(tuple(_choice(str(n), _numbered(6, first=1)) for n in range(1, 11))),
        ),
        Instrument(
            "bam",
            "BAM",
            N_("Recovery check-up"),
            None,
            None,
            (),
            higher_is_better=False,  # no headline; "use" and "risk" are better low, "protective" high
            default_interval_days=30,
            scoring_version="1",
            source="Cacciola JS, Alterman AI, DePhilippis D, et al. Development and initial evaluation of "
            "the Brief Addiction Monitor (BAM). J Subst Abuse Treat. 2013;44(3):256-263.",
            structure=Structure(tuple(_bam_item(link_id) for link_id in BAM_ITEMS)),
        ),
        Instrument(
            "pacs",
            "PACS",
            N_("Craving"),
            0,
            30,
            (),
            higher_is_better=False,
            default_interval_days=None,
            scoring_version="1",
            source="Flannery BA, Volpicelli JR, Pettinati HM. Psychometric properties of the Penn Alcohol "
            "Craving Scale. Alcohol Clin Exp Res. 1999;23(8):1289-1295.",
            structure=Structure(tuple(_choice(str(n), _numbered(7)) for n in range(1, 6))),
        ),
        Instrument(
            "auditc",
            "AUDIT-C",
            N_("Alcohol use"),
            0,
            12,
            (),  # the cut-off depends on sex, so it is a flag rather than a band
            higher_is_better=False,
            default_interval_days=None,
            scoring_version="1",
            source="Bush K, Kivlahan DR, McDonell MB, Fihn SD, Bradley KA. The AUDIT alcohol consumption "
            "questions (AUDIT-C). Arch Intern Med. 1998;158(16):1789-1795; cut-offs: Bradley KA et al. "
            "AUDIT-C as a brief screen for alcohol misuse in primary care. Alcohol Clin Exp Res. "
            "2007;31(7):1208-1217.",
            structure=Structure(tuple(_choice(link_id, AUDITC_OPTIONS[link_id]) for link_id in "123")),
        ),
        Instrument(
            "phq2",
            "PHQ-2",
            N_("Depression"),
            0,
            6,
            SCREEN_BANDS,
            higher_is_better=False,
            default_interval_days=None,
            scoring_version="1",
            source=PHQ2_SOURCE,
            structure=Structure((_choice("1", PHQ_OPTIONS), _choice("2", PHQ_OPTIONS))),
        ),
        Instrument(
            "gad2",
            "GAD-2",
            N_("Anxiety"),
            0,
            6,
            SCREEN_BANDS,
            higher_is_better=False,
            default_interval_days=None,
            scoring_version="1",
            source="Kroenke K, Spitzer RL, Williams JBW, Monahan PO, Löwe B. Anxiety disorders in primary "
            "care: prevalence, impairment, comorbidity, and detection. Ann Intern Med. "
            "2007;146(5):317-325.",
            structure=Structure((_choice("1", PHQ_OPTIONS), _choice("2", PHQ_OPTIONS))),
        ),
        Instrument(
            "cssrs",
            "C-SSRS screener",
            N_("Suicide risk screen"),
            None,
            None,
            (),
            higher_is_better=False,
            default_interval_days=None,
            scoring_version="1",
            source="Posner K, Brown GK, Stanley B, et al. The Columbia-Suicide Severity Rating Scale: "
            "initial validity and internal consistency findings from three multisite studies with "
            "adolescents and adults. Am J Psychiatry. 2011;168(12):1266-1277; risk tiers from the "
            "Columbia Lighthouse Project's screen version with triage points.",
            structure=_cssrs(),
        ),
    )
}


def band_for(instrument: Instrument, value: float) -> Band | None:
    """The band a headline value falls in (after rounding to 2 decimal places), None outside every band."""
    rounded = round(value, BAND_PRECISION)
    return next((band for band in instrument.bands if band.low <= rounded <= band.high), None)


# --- Reading a FHIR Questionnaire ------------------------------------------------------------


class StructureError(ValueError):
    """A Questionnaire that cannot be read as a scored instrument; the message says why in plain words."""


def _flatten(items: object, found: list[Mapping]) -> list[Mapping]:
    if not isinstance(items, list):
        raise StructureError(_("The questionnaire's items must be a list."))
    for item in items:
        if not isinstance(item, Mapping):
            raise StructureError(_("Every item of the questionnaire must be an object."))
        kind = item.get("type")
        if kind == "group":
            _flatten(item.get("item", []), found)
        elif kind != "display" and not item.get("readOnly"):  # read-only items are computed, not asked
            found.append(item)
    return found


def flatten_items(items: object) -> list[Mapping]:
    """The items a member answers, in order: groups opened up, display text and computed totals left out."""
    return _flatten(items, [])


def _whole_number(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value) if float(value).is_integer() else None


def ordinal_value(option: Mapping) -> int | None:
    """The scoring value of an answerOption, from its ordinalValue or itemWeight extension.

    R4 allows the extension on the option or on its valueCoding; both are read.
    Raises StructureError when the value is there but not a whole number.
    """
    coding = option.get("valueCoding")
    places = [option.get("extension")]
    if isinstance(coding, Mapping):
        places.append(coding.get("extension"))
    for extensions in places:
        for extension in extensions if isinstance(extensions, list) else []:
            if not isinstance(extension, Mapping) or extension.get("url") not in ORDINAL_URLS:
                continue
            raw = extension.get("valueDecimal", extension.get("valueInteger"))
            value = _whole_number(raw)
            if value is None:
                raise StructureError(
                    _("An answer is worth %(value)s; scoring needs whole numbers.") % {"value": raw}
                )
            return value
    return None


def _option_code(option: Mapping) -> str:
    coding = option.get("valueCoding")
    if isinstance(coding, Mapping) and coding.get("code"):
        return str(coding["code"])
    for key in ("valueString", "valueInteger"):
        if key in option:
            return str(option[key])
    return ""


def _options(link_id: str, item: Mapping) -> tuple[Option, ...]:
    raw = item.get("answerOption")
    if not isinstance(raw, list) or not raw:
        raise StructureError(
            _('Item "%(item)s" is a choice question with no answers to choose.') % {"item": link_id}
        )
    options = []
    for option in raw:
        if not isinstance(option, Mapping):
            raise StructureError(
                _('Item "%(item)s" has an answer that is not an object.') % {"item": link_id}
            )
        try:
            value = ordinal_value(option)
        except StructureError as error:
            raise StructureError(
                _('Item "%(item)s": %(problem)s') % {"item": link_id, "problem": error}
            ) from None
        code = _option_code(option)
        if value is None:
            raise StructureError(
                _('Answer "%(code)s" of item "%(item)s" has no scoring value (an ordinalValue extension).')
                % {"code": code, "item": link_id}
            )
        options.append(Option(value, code))
    return tuple(options)


def _condition_answer(
    link_id: str, condition: Mapping, items: Mapping[str, ItemSpec]
) -> tuple[str, bool | int]:
    question = condition.get("question")
    if not isinstance(question, str) or question not in items:
        raise StructureError(
            _('Item "%(item)s" depends on item "%(question)s", which is not in the questionnaire.')
            % {"item": link_id, "question": question}
        )
    operator = condition.get("operator")
    if operator != "=":
        raise StructureError(
            _('Item "%(item)s" uses the skip-logic operator "%(operator)s"; only "=" is supported.')
            % {"item": link_id, "operator": operator}
        )
    if isinstance(condition.get("answerBoolean"), bool):
        return question, condition["answerBoolean"]
    for key in ("answerInteger", "answerDecimal"):
        value = _whole_number(condition.get(key))
        if value is not None:
            return question, value
    coding = condition.get("answerCoding")
    if isinstance(coding, Mapping):
        for option in items[question].options:
            if option.code == coding.get("code"):
                return question, option.value
        raise StructureError(
            _('Item "%(item)s" depends on an answer of item "%(question)s" that item does not offer.')
            % {"item": link_id, "question": question}
        )
    raise StructureError(
        _('Item "%(item)s" has skip logic that Circles cannot read (use a yes/no, number or coded answer).')
        % {"item": link_id}
    )


def structure_of(resource: Mapping) -> Structure:
    """The scored structure of a FHIR Questionnaire (a parsed JSON object): groups flattened, display
    and read-only items left out. Raises StructureError for anything malformed."""
    if not isinstance(resource, Mapping):
        raise StructureError(_("Send a FHIR Questionnaire as a JSON object."))
    if resource.get("resourceType", "Questionnaire") != "Questionnaire":
        raise StructureError(_("This is not a FHIR Questionnaire."))
    raw_items = _flatten(resource.get("item", []), [])
    if not raw_items:
        raise StructureError(_("The questionnaire has no questions to answer."))
    specs: dict[str, ItemSpec] = {}
    for item in raw_items:
        link_id = item.get("linkId")
        if not isinstance(link_id, str) or not link_id:
            raise StructureError(_("Every question needs a linkId."))
        if link_id in specs:
            raise StructureError(_('Two questions share the linkId "%(item)s".') % {"item": link_id})
        kind = item.get("type")
        if not isinstance(kind, str):
            raise StructureError(_('Item "%(item)s" has no type.') % {"item": link_id})
        required = item.get("required", False)
        if not isinstance(required, bool):
            raise StructureError(
                _('Item "%(item)s" has a "required" that is not true or false.') % {"item": link_id}
            )
        options = _options(link_id, item) if kind == CHOICE else ()
        specs[link_id] = ItemSpec(link_id, kind, required, options)
    result = []
    for item in raw_items:
        spec = specs[item["linkId"]]
        conditions = item.get("enableWhen", [])
        if not isinstance(conditions, list) or not all(isinstance(c, Mapping) for c in conditions):
            raise StructureError(_('Item "%(item)s" has malformed skip logic.') % {"item": spec.link_id})
        if len(conditions) > 1 and item.get("enableBehavior", "all") != "all":
            raise StructureError(
                _('Item "%(item)s" is shown when any one condition holds; only "all" is supported.')
                % {"item": spec.link_id}
            )
        enable_when = tuple(_condition_answer(spec.link_id, condition, specs) for condition in conditions)
        result.append(ItemSpec(spec.link_id, spec.kind, spec.required, spec.options, enable_when))
    return Structure(tuple(result))


def _kind_words(kind: str) -> str:
    if kind == CHOICE:
        return _("a choice question")
    if kind == BOOLEAN:
        return _("a yes/no question")
    return _("a “%(kind)s” question") % {"kind": kind}


def _values_words(values: Iterable[int]) -> str:
    return ", ".join(str(value) for value in sorted(values))


def _conditions_words(conditions: tuple[tuple[str, bool | int], ...]) -> str:
    if not conditions:
        return _("always shown")
    parts = []
    for question, answer in sorted(conditions, key=lambda condition: (condition[0], str(condition[1]))):
        if isinstance(answer, bool):
            words = _("yes") if answer else _("no")
        else:
            words = str(answer)
        parts.append(_('item "%(question)s" is %(answer)s') % {"question": question, "answer": words})
    return _("shown when %(conditions)s") % {"conditions": _(" and ").join(parts)}


def _condition_key(conditions: tuple[tuple[str, bool | int], ...]) -> frozenset:
    return frozenset((question, type(answer).__name__, answer) for question, answer in conditions)


def structure_differences(expected: Structure, candidate: Structure) -> list[str]:
    """Every difference that would change a score, in plain words naming the item; [] when none.

    Wording, answer codes and displays, language and item order may differ freely.
    """
    messages = []
    for want in expected.items:
        have = candidate.item(want.link_id)
        item = want.link_id
        if have is None:
            messages.append(_('Item "%(item)s" is missing.') % {"item": item})
            continue
        if have.kind != want.kind:
            messages.append(
                _('Item "%(item)s" is %(have)s but scoring expects %(want)s.')
                % {"item": item, "have": _kind_words(have.kind), "want": _kind_words(want.kind)}
            )
        elif want.kind == CHOICE and have.values != want.values:
            messages.append(
                _('Item "%(item)s" has answer values %(have)s but scoring expects %(want)s.')
                % {"item": item, "have": _values_words(have.values), "want": _values_words(want.values)}
            )
        if have.required != want.required:
            message = (
                _('Item "%(item)s" is optional but scoring expects it to be required.')
                if want.required
                else _('Item "%(item)s" is required but scoring expects it to be optional.')
            )
            messages.append(message % {"item": item})
        if _condition_key(have.enable_when) != _condition_key(want.enable_when):
            messages.append(
                _('Item "%(item)s" is %(have)s here, but scoring expects it %(want)s.')
                % {
                    "item": item,
                    "have": _conditions_words(have.enable_when),
                    "want": _conditions_words(want.enable_when),
                }
            )
    for have in candidate.items:
        if expected.item(have.link_id) is None:
            messages.append(_('Item "%(item)s" is not part of this instrument.') % {"item": have.link_id})
    return messages


# --- Answers ---------------------------------------------------------------------------------


def answer_errors(
    structure: Structure, answers: Mapping[str, object], *, complete: bool
) -> dict[str, list[str]]:
    """Messages per linkId for answers that cannot be scored; {} when all is well.

    A None answer counts as unanswered. With complete=True, every shown required question must be answered.
    """
    errors: dict[str, list[str]] = {}
    shown = {item.link_id for item in structure.enabled(answers)}
    for link_id, value in answers.items():
        item = structure.item(link_id)
        if item is None:
            errors.setdefault(link_id, []).append(_("This question is not part of this questionnaire."))
            continue
        if value is None:
            continue
        if item.kind == BOOLEAN:
            if not isinstance(value, bool):
                errors.setdefault(link_id, []).append(_("Answer yes or no."))
        elif isinstance(value, bool) or not isinstance(value, int) or value not in item.values:
            errors.setdefault(link_id, []).append(
                _("Choose one of %(values)s.") % {"values": _values_words(item.values)}
            )
        if link_id not in shown:
            errors.setdefault(link_id, []).append(
                _("An earlier answer skips this question, so leave it unanswered.")
            )
    if complete:
        for item in structure.enabled(answers):
            if item.required and answers.get(item.link_id) is None:
                errors.setdefault(item.link_id, []).append(_("Please answer this question."))
    return errors


# --- Scores ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Score:
    instrument: str
    total: float | None  # the headline; None for BAM and C-SSRS
    band: str | None  # a Band.code, the C-SSRS risk tier, or None (BAM, PACS, AUDIT-C)
    subscales: dict[str, float]
    flags: tuple[str, ...]

    @property
    def safety(self) -> bool:
        return any(flag in self.flags for flag in SAFETY_FLAGS)


def risk_tier(answers: Mapping[str, object]) -> str:
    """C-SSRS screener risk from its skip logic, not a sum: the most severe answer decides.

    High: intent (4) or a plan with intent (5), or any suicidal behaviour in the last 3 months (6a).
    Moderate: thinking about a method (3), or behaviour longer ago (6 without 6a). Low: 1 or 2 only.
    """
    shown = {item.link_id for item in INSTRUMENTS["cssrs"].structure.enabled(answers)}

    def yes(link_id: str) -> bool:
        return link_id in shown and answers.get(link_id) is True

    if yes("4") or yes("5") or yes("6a"):
        return RISK_HIGH
    if yes("3") or yes("6"):
        return RISK_MODERATE
    if yes("1") or yes("2"):
        return RISK_LOW
    return RISK_NONE


def _sum(answers: Mapping[str, int | bool], link_ids: Iterable[str]) -> int:
    return sum(int(answers[link_id]) for link_id in link_ids)


def _band_code(instrument: Instrument, value: float) -> str | None:
    band = band_for(instrument, value)
    return band.code if band else None


def score(code: str, answers: Mapping[str, int | bool], *, sex: str | None = None) -> Score:
    """Scores complete, valid answers (check them with answer_errors first; ValueError otherwise).

    `sex` ("female", "male" or None) only sets the AUDIT-C cut-off.
    """
    instrument = INSTRUMENTS[code]
    structure = instrument.structure
    answered = {link_id: value for link_id, value in answers.items() if value is not None}
    errors = answer_errors(structure, answered, complete=True)
    if errors:
        raise ValueError(
            "; ".join(f"{link_id}: {' '.join(messages)}" for link_id, messages in errors.items())
        )
    all_items = [item.link_id for item in structure.items]
    flags: list[str] = []
    subscales: dict[str, float] = {}
    total: float | None = None
    band: str | None = None

    if code == "cssrs":
        band = risk_tier(answered)
        if band != RISK_NONE:
            flags.append(FLAG_POSITIVE_SCREEN)
    elif code == "bam":
        subscales = {name: float(_sum(answered, items)) for name, items in BAM_SUBSCALES.items()}
    elif code == "mspss":
        total = round(_sum(answered, all_items) / len(all_items), 2)
        subscales = {
            name: round(_sum(answered, items) / len(items), 2) for name, items in MSPSS_SUBSCALES.items()
        }
        band = _band_code(instrument, total)
    elif code == "who5":
        raw = _sum(answered, all_items)
        total = float(raw * 4)
        subscales = {"raw": float(raw)}
        band = _band_code(instrument, total)
        if total <= WHO5_LOW_WELLBEING:
            flags.append(FLAG_LOW_WELLBEING)
        if total <= WHO5_LIKELY_DEPRESSION:
            flags.append(FLAG_LIKELY_DEPRESSION)
    else:
        total = float(_sum(answered, all_items))
        band = _band_code(instrument, total)
        if code == SAFETY_ITEM[0] and answered[SAFETY_ITEM[1]] > 0:
            flags.append(FLAG_SAFETY_ITEM)
        elif code in ("phq2", "gad2") and total >= SCREEN_CUTOFF:
            flags.append(FLAG_SCREEN_POSITIVE)
        elif code == "barc10" and total >= BARC10_THRESHOLD:
            flags.append(FLAG_RECOVERY_CAPITAL)
        elif code == "auditc" and total >= AUDITC_CUTOFF.get(sex or "", AUDITC_DEFAULT_CUTOFF):
            flags.append(FLAG_ABOVE_CUTOFF)
    return Score(code, total, band, subscales, tuple(flags))


# A hard day: the daily check-in's answers after which the saved page offers support at once (one-tap
# SOS, the inner circle's direct links, crisis resources). One bad answer is enough: offering costs the
# member nothing, and the alert rules (docs/alerts.md) are what ask other people, over several days.
# Each row: the check-in's field, "at_most" or "at_least", the level (0–10 scales), and the reason the
# member reads. A "used" row has no level: any return to use counts. Written up in docs/measures.md.
HARD_CHECKIN_SIGNS: tuple[tuple[str, str, int | None, str], ...] = (
    ("mood", "at_most", 3, N_("Your mood is low (%(value)s out of 10).")),
    ("craving", "at_least", 8, N_("Your craving is strong (%(value)s out of 10).")),
    ("stress", "at_least", 8, N_("Your stress is high (%(value)s out of 10).")),
    ("used", "yes", None, N_("You noted a return to use.")),
)


_HARD_COMPARISONS = {
    "at_most": lambda value, level: value <= level,
    "at_least": lambda value, level: value >= level,
    "yes": lambda value, level: value is True,
}


def hard_checkin_reasons(answers: Mapping[str, int | bool | None], signs=HARD_CHECKIN_SIGNS) -> list[str]:
    """Why a saved check-in counts as a hard day, in plain words; empty when it does not.

    `answers` holds the check-in's mood, craving and stress (0–10) and used (True or False).
    """
    return [
        _(reason) % {"value": answers[field]}
        for field, comparison, level, reason in signs
        if answers.get(field) is not None and _HARD_COMPARISONS[comparison](answers[field], level)
    ]
