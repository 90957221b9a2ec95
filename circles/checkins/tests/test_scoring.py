"""Scoring checked against hand-worked examples from the published rules (docs/measures.md)."""

import copy
import json
from pathlib import Path

import pytest

from circles.checkins import logic
from circles.checkins.logic import ItemSpec, Option, Structure

INSTRUMENTS_DIR = Path(logic.__file__).resolve().parent / "instruments"


def spread(code: str, total: int) -> dict[str, int]:
    """Answers to a sum-scored instrument adding up to `total`, filled from the first item on."""
    answers = {}
    left = total
    for item in logic.INSTRUMENTS[code].structure.items:
        low, high = min(item.values), max(item.values)
        value = min(high, low + left)
        answers[item.link_id] = value
        left -= value - low
    assert left == 0, f"{code} cannot reach {total}"
    return answers


def builtin(code: str) -> dict:
    return json.loads((INSTRUMENTS_DIR / f"{code}.json").read_text(encoding="utf-8"))


# --- PHQ-9, GAD-7, PHQ-2, GAD-2 --------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "moderately_severe"),
        (19, "moderately_severe"),
        (20, "severe"),
        (27, "severe"),
    ],
)
def test_phq9_bands_at_their_edges(total, band):
    result = logic.score("phq9", spread("phq9", total))
    assert result.total == total
    assert result.band == band


def test_phq9_item_9_above_zero_is_a_safety_flag():
    answers = {str(n): 0 for n in range(1, 10)} | {"9": 1}
    result = logic.score("phq9", answers)
    assert result.total == 1
    assert result.band == "minimal"
    assert result.flags == ("safety_item",)
    assert result.safety


def test_phq9_without_item_9_has_no_safety_flag():
    result = logic.score("phq9", {str(n): 3 for n in range(1, 9)} | {"9": 0})
    assert result.total == 24
    assert result.band == "severe"
    assert result.flags == ()
    assert not result.safety


def test_safety_item_names_phq9_item_9():
    assert logic.SAFETY_ITEM == ("phq9", "9")


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "severe"),
        (21, "severe"),
    ],
)
def test_gad7_bands_at_their_edges(total, band):
    result = logic.score("gad7", spread("gad7", total))
    assert (result.total, result.band, result.flags) == (total, band, ())


@pytest.mark.parametrize("code", ["phq2", "gad2"])
@pytest.mark.parametrize(
    ("answers", "band", "flags"),
    [
        ({"1": 1, "2": 1}, "below_cutoff", ()),
        ({"1": 2, "2": 0}, "below_cutoff", ()),
        ({"1": 2, "2": 1}, "screen_positive", ("screen_positive",)),
        ({"1": 3, "2": 3}, "screen_positive", ("screen_positive",)),
    ],
)
def test_two_item_screens_turn_positive_at_3(code, answers, band, flags):
    result = logic.score(code, answers)
    assert result.band == band
    assert result.flags == flags
    # A positive depression or anxiety screen is not a suicide-risk signal.
    assert not result.safety


# --- WHO-5 -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "percent", "band", "flags"),
    [
        (0, 0, "very_low", ("low_wellbeing", "likely_depression")),
        (7, 28, "very_low", ("low_wellbeing", "likely_depression")),
        (8, 32, "low", ("low_wellbeing",)),
        (12, 48, "low", ("low_wellbeing",)),
        (13, 52, "adequate", ()),
        (25, 100, "adequate", ()),
    ],
)
def test_who5_percentage_edges(raw, percent, band, flags):
    result = logic.score("who5", spread("who5", raw))
    assert result.total == percent
    assert result.subscales == {"raw": raw}
    assert result.band == band
    assert result.flags == flags


# --- MSPSS -----------------------------------------------------------------------------------


def test_mspss_means_worked_by_hand():
    # Significant other (items 1, 2, 5, 10): 7, 6, 7, 6 -> 26 / 4 = 6.5
    # Family (3, 4, 8, 11): 2, 3, 2, 1 -> 8 / 4 = 2.0
    # Friends (6, 7, 9, 12): 4, 5, 4, 5 -> 18 / 4 = 4.5
    # Total: 52 / 12 = 4.333… -> 4.33, moderate
    answers = dict(zip([str(n) for n in range(1, 13)], [7, 6, 2, 3, 7, 4, 5, 2, 4, 6, 1, 5], strict=True))
    result = logic.score("mspss", answers)
    assert result.subscales == {"significant_other": 6.5, "family": 2.0, "friends": 4.5}
    assert result.total == 4.33
    assert result.band == "moderate"


@pytest.mark.parametrize(
    ("total_of_items", "mean", "band"),
    [
        (12, 1.0, "low"),
        (35, 2.92, "low"),
        (36, 3.0, "moderate"),
        (60, 5.0, "moderate"),
        (61, 5.08, "high"),
        (84, 7.0, "high"),
    ],
)
def test_mspss_band_edges(total_of_items, mean, band):
    result = logic.score("mspss", spread("mspss", total_of_items - 12))
    assert result.total == mean
    assert result.band == band


@pytest.mark.parametrize(
    ("value", "band"),
    [
        (2.95, "low"),
        (2.99, "low"),
        (2.999, "moderate"),
        (3.0, "moderate"),
        (5.0, "moderate"),
        (5.004, "moderate"),
        (5.05, "high"),
        (5.01, "high"),
    ],
)
def test_mspss_bands_leave_no_gap(value, band):
    assert logic.band_for(logic.INSTRUMENTS["mspss"], value).code == band


def test_every_mspss_mean_to_2_places_lands_in_exactly_one_band():
    bands = logic.INSTRUMENTS["mspss"].bands
    for hundredths in range(100, 701):
        value = hundredths / 100
        assert sum(1 for band in bands if band.low <= value <= band.high) == 1, value


# --- BARC-10, PACS, AUDIT-C, BAM --------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "band", "flags"),
    [
        (10, "below_threshold", ()),
        (46, "below_threshold", ()),
        (47, "threshold", ("recovery_capital_threshold",)),
        (60, "threshold", ("recovery_capital_threshold",)),
    ],
)
def test_barc10_threshold_at_47(total, band, flags):
    result = logic.score("barc10", spread("barc10", total - 10))
    assert (result.total, result.band, result.flags) == (total, band, flags)


def test_pacs_is_a_plain_sum_without_bands():
    result = logic.score("pacs", {"1": 3, "2": 4, "3": 2, "4": 6, "5": 5})
    assert (result.total, result.band, result.subscales, result.flags) == (20, None, {}, ())


def test_auditc_total_of_3_is_over_the_cutoff_for_women_not_for_men():
    answers = {"1": 2, "2": 1, "3": 0}  # 2-4 times a month, 3 or 4 drinks, never 6 or more: 3
    female = logic.score("auditc", answers, sex="female")
    male = logic.score("auditc", answers, sex="male")
    assert female.total == male.total == 3
    assert female.flags == ("above_cutoff",)
    assert male.flags == ()
    assert female.band is None


def test_auditc_4_is_over_the_cutoff_for_men():
    assert logic.score("auditc", {"1": 2, "2": 1, "3": 1}, sex="male").flags == ("above_cutoff",)


@pytest.mark.parametrize("sex", [None, "", "other"])
def test_auditc_uses_the_lower_cutoff_when_sex_is_not_male_or_female(sex):
    assert logic.score("auditc", {"1": 3, "2": 0, "3": 0}, sex=sex).flags == ("above_cutoff",)
    assert logic.score("auditc", {"1": 2, "2": 0, "3": 0}, sex=sex).flags == ()


def test_bam_subscales_worked_by_hand():
    answers = {"1": 3, "2": 2, "3": 1, "4": 1, "5": 0, "6": 2, "8": 3, "9": 2, "10": 4, "11": 1,
               "12": 0, "13": 3, "14": 4, "15": 2, "16": 3, "17": 1}  # fmt: skip
    result = logic.score("bam", answers)
    # Use 4+5+6 = 1+0+2; risk 1+2+3+8+11+15 = 3+2+1+3+1+2; protective 9+10+12+13+14+16 = 2+4+0+3+4+3
    assert result.subscales == {"use": 3, "risk": 12, "protective": 16}
    assert (result.total, result.band, result.flags) == (None, None, ())


def test_bam_item_17_is_asked_but_not_scored_and_item_7_is_not_asked():
    base = {link_id: 0 for link_id in logic.BAM_ITEMS} | {"14": 0}
    low = logic.score("bam", base | {"17": 0})
    high = logic.score("bam", base | {"17": 4})
    assert low.subscales == high.subscales
    assert logic.INSTRUMENTS["bam"].structure.item("7") is None


def test_bam_income_counts_4_for_yes_and_0_for_no():
    assert logic.INSTRUMENTS["bam"].structure.item("14").values == frozenset({0, 4})
    base = {link_id: 0 for link_id in logic.BAM_ITEMS}
    assert logic.score("bam", base | {"14": 4}).subscales["protective"] == 4


# --- C-SSRS ----------------------------------------------------------------------------------

NO = {"1": False, "2": False, "6": False}
THOUGHTS = {"1": True, "2": True, "3": False, "4": False, "5": False, "6": False}


@pytest.mark.parametrize(
    ("answers", "tier"),
    [
        (NO, "none"),
        (NO | {"1": True}, "low"),
        (THOUGHTS, "low"),
        (THOUGHTS | {"3": True}, "moderate"),
        (NO | {"6": True, "6a": False}, "moderate"),
        (THOUGHTS | {"4": True}, "high"),
        (THOUGHTS | {"5": True}, "high"),
        (NO | {"6": True, "6a": True}, "high"),
        (THOUGHTS | {"3": True, "6": True, "6a": False}, "moderate"),
    ],
)
def test_cssrs_risk_tiers(answers, tier):
    result = logic.score("cssrs", answers)
    assert logic.risk_tier(answers) == tier
    assert result.band == tier
    assert result.total is None
    assert result.flags == (() if tier == "none" else ("positive_screen",))
    assert result.safety is (tier != "none")


def test_cssrs_questions_3_to_5_only_after_thoughts_of_suicide():
    structure = logic.INSTRUMENTS["cssrs"].structure
    shown = [item.link_id for item in structure.enabled(NO)]
    assert shown == ["1", "2", "6"]
    shown = [item.link_id for item in structure.enabled(THOUGHTS | {"6": True})]
    assert shown == ["1", "2", "3", "4", "5", "6", "6a"]


def test_cssrs_tier_ignores_answers_that_skip_logic_hides():
    # Question 4 is hidden when 2 is "no"; a stray "yes" there must not raise the tier.
    assert logic.risk_tier(NO | {"4": True}) == "none"


def test_a_number_never_stands_in_for_yes():
    assert logic.risk_tier({"1": 1, "2": 1, "3": 1, "6": 1, "6a": 1}) == "none"


# --- band_for --------------------------------------------------------------------------------


def test_band_for_outside_every_band_is_none():
    assert logic.band_for(logic.INSTRUMENTS["phq9"], 28) is None
    assert logic.band_for(logic.INSTRUMENTS["pacs"], 10) is None


def test_bands_of_each_instrument_are_in_order_and_do_not_overlap():
    for instrument in logic.INSTRUMENTS.values():
        for lower, upper in zip(instrument.bands, instrument.bands[1:], strict=False):
            assert lower.low <= lower.high < upper.low <= upper.high, instrument.code
        if instrument.bands:
            assert instrument.bands[0].low == instrument.scale_min
            assert instrument.bands[-1].high == instrument.scale_max


# --- answer_errors ---------------------------------------------------------------------------


def test_valid_complete_answers_have_no_errors():
    structure = logic.INSTRUMENTS["gad7"].structure
    assert logic.answer_errors(structure, spread("gad7", 8), complete=True) == {}


def test_out_of_range_choice():
    errors = logic.answer_errors(logic.INSTRUMENTS["phq9"].structure, {"1": 4}, complete=False)
    assert errors == {"1": ["Choose one of 0, 1, 2, 3."]}


@pytest.mark.parametrize("value", [True, False, "2", 2.0, [1]])
def test_a_choice_needs_a_whole_number_not_a_yes_no(value):
    errors = logic.answer_errors(logic.INSTRUMENTS["phq9"].structure, {"2": value}, complete=False)
    assert errors == {"2": ["Choose one of 0, 1, 2, 3."]}


def test_bam_income_offers_only_0_and_4():
    errors = logic.answer_errors(logic.INSTRUMENTS["bam"].structure, {"14": 2}, complete=False)
    assert errors == {"14": ["Choose one of 0, 4."]}


@pytest.mark.parametrize("value", [1, 0, "yes", None])
def test_a_yes_no_question_needs_true_or_false(value):
    errors = logic.answer_errors(logic.INSTRUMENTS["cssrs"].structure, {"1": value}, complete=False)
    assert errors == ({} if value is None else {"1": ["Answer yes or no."]})


def test_missing_required_answers_only_when_completing():
    structure = logic.INSTRUMENTS["phq2"].structure
    assert logic.answer_errors(structure, {"1": 0}, complete=False) == {}
    assert logic.answer_errors(structure, {"1": 0}, complete=True) == {"2": ["Please answer this question."]}
    assert logic.answer_errors(structure, {"1": 0, "2": None}, complete=True) == {
        "2": ["Please answer this question."]
    }


def test_answering_a_question_that_skip_logic_hides():
    structure = logic.INSTRUMENTS["cssrs"].structure
    errors = logic.answer_errors(structure, NO | {"3": True}, complete=True)
    assert errors == {"3": ["An earlier answer skips this question, so leave it unanswered."]}


def test_completing_cssrs_asks_for_what_a_yes_opened():
    structure = logic.INSTRUMENTS["cssrs"].structure
    errors = logic.answer_errors(structure, {"1": True, "2": True, "6": True}, complete=True)
    assert set(errors) == {"3", "4", "5", "6a"}


def test_unknown_link_id():
    errors = logic.answer_errors(logic.INSTRUMENTS["who5"].structure, {"6": 3}, complete=False)
    assert errors == {"6": ["This question is not part of this questionnaire."]}


def test_score_refuses_answers_that_answer_errors_would_refuse():
    with pytest.raises(ValueError, match="9"):
        logic.score("phq9", spread("phq9", 4) | {"9": 7})
    with pytest.raises(ValueError, match="Please answer"):
        logic.score("phq2", {"1": 1})


# --- structure_of and structure_differences --------------------------------------------------


def reworded(resource: dict) -> dict:
    """A copy with other wording, another language and other answer codes, as a translation would have."""
    copied = copy.deepcopy(resource)
    copied["language"] = "es"
    copied["title"] = "Otra redacción"
    for item in copied["item"]:
        item["text"] = f"Pregunta {item['linkId']}"
        item.pop("code", None)
        for number, option in enumerate(item.get("answerOption", [])):
            option["valueCoding"] = {"system": "urn:example:answers", "code": f"x{number}", "display": "¿?"}
    copied["item"].reverse()
    return copied


@pytest.mark.parametrize("code", list(logic.INSTRUMENTS))
def test_reworded_copy_with_other_codes_has_no_differences(code):
    expected = logic.INSTRUMENTS[code].structure
    assert logic.structure_differences(expected, logic.structure_of(reworded(builtin(code)))) == []


def test_removed_item_is_named():
    resource = builtin("phq9")
    resource["item"] = [item for item in resource["item"] if item["linkId"] != "3"]
    differences = logic.structure_differences(
        logic.INSTRUMENTS["phq9"].structure, logic.structure_of(resource)
    )
    assert differences == ['Item "3" is missing.']


def test_changed_option_values_are_named():
    resource = builtin("phq9")
    nine = next(item for item in resource["item"] if item["linkId"] == "9")
    nine["answerOption"].pop()
    differences = logic.structure_differences(
        logic.INSTRUMENTS["phq9"].structure, logic.structure_of(resource)
    )
    assert differences == ['Item "9" has answer values 0, 1, 2 but scoring expects 0, 1, 2, 3.']


def test_extra_item_is_named():
    resource = builtin("mspss")
    resource["item"].append({**resource["item"][0], "linkId": "13"})
    differences = logic.structure_differences(
        logic.INSTRUMENTS["mspss"].structure, logic.structure_of(resource)
    )
    assert differences == ['Item "13" is not part of this instrument.']


def test_type_required_and_skip_logic_changes_are_named():
    resource = builtin("cssrs")
    items = {item["linkId"]: item for item in resource["item"]}
    items["1"]["type"] = "string"
    items["2"]["required"] = False
    del items["4"]["enableWhen"]
    differences = logic.structure_differences(
        logic.INSTRUMENTS["cssrs"].structure, logic.structure_of(resource)
    )
    assert differences == [
        'Item "1" is a “string” question but scoring expects a yes/no question.',
        'Item "2" is optional but scoring expects it to be required.',
        'Item "4" is always shown here, but scoring expects it shown when item "2" is yes.',
    ]


def test_groups_are_flattened_and_display_items_skipped():
    resource = builtin("phq2")
    resource["item"] = [
        {"linkId": "intro", "type": "display", "text": "Hola"},
        {"linkId": "g", "type": "group", "text": "Grupo", "item": resource["item"]},
        {"linkId": "total", "type": "integer", "text": "Total", "readOnly": True},
    ]
    assert logic.structure_of(resource) == logic.INSTRUMENTS["phq2"].structure


def test_item_weight_extension_and_coding_level_ordinals_are_read():
    resource = builtin("gad2")
    for item in resource["item"]:
        for option in item["answerOption"]:
            value = option.pop("extension")[0]["valueDecimal"]
            option["valueCoding"]["extension"] = [
                {"url": "http://hl7.org/fhir/StructureDefinition/itemWeight", "valueDecimal": value}
            ]
    assert (
        logic.structure_differences(logic.INSTRUMENTS["gad2"].structure, logic.structure_of(resource)) == []
    )


def test_skip_logic_on_a_coded_answer_uses_that_answers_value():
    resource = {
        "resourceType": "Questionnaire",
        "item": [
            {
                "linkId": "a",
                "type": "choice",
                "required": True,
                "answerOption": [
                    {
                        "valueCoding": {"code": "no"},
                        "extension": [{"url": logic.ORDINAL_URLS[0], "valueDecimal": 0}],
                    },
                    {
                        "valueCoding": {"code": "yes"},
                        "extension": [{"url": logic.ORDINAL_URLS[0], "valueInteger": 1}],
                    },
                ],
            },
            {
                "linkId": "b",
                "type": "boolean",
                "enableWhen": [{"question": "a", "operator": "=", "answerCoding": {"code": "yes"}}],
            },
        ],
    }
    assert logic.structure_of(resource) == Structure(
        (
            ItemSpec("a", "choice", True, (Option(0, "no"), Option(1, "yes"))),
            ItemSpec("b", "boolean", False, (), (("a", 1),)),
        )
    )


def with_first_item(**changes) -> dict:
    resource = builtin("phq2")
    resource["item"][0].update(changes)
    return resource


@pytest.mark.parametrize(
    ("resource", "message"),
    [
        ({"resourceType": "Patient"}, "not a FHIR Questionnaire"),
        ({"resourceType": "Questionnaire", "item": []}, "no questions"),
        ({"resourceType": "Questionnaire", "item": "1"}, "must be a list"),
        (with_first_item(linkId=""), "linkId"),
        (with_first_item(linkId="2"), 'share the linkId "2"'),
        (with_first_item(answerOption=[]), 'Item "1" is a choice question with no answers'),
        (
            with_first_item(answerOption=[{"valueCoding": {"code": "a"}}]),
            'Answer "a" of item "1" has no scoring',
        ),
        (
            with_first_item(
                answerOption=[
                    {
                        "valueCoding": {"code": "a"},
                        "extension": [{"url": logic.ORDINAL_URLS[0], "valueDecimal": 1.5}],
                    }
                ]
            ),
            "whole numbers",
        ),
        (with_first_item(required="yes"), "not true or false"),
        (with_first_item(enableWhen=[{"question": "9", "operator": "=", "answerInteger": 1}]), 'item "9"'),
        (with_first_item(enableWhen=[{"question": "2", "operator": "!=", "answerInteger": 1}]), '"!="'),
        (
            with_first_item(enableWhen=[{"question": "2", "operator": "=", "answerString": "x"}]),
            "cannot read",
        ),
        (
            with_first_item(
                enableBehavior="any",
                enableWhen=[
                    {"question": "2", "operator": "=", "answerInteger": 1},
                    {"question": "2", "operator": "=", "answerInteger": 2},
                ],
            ),
            "any one condition",
        ),
    ],
)
def test_malformed_questionnaires_are_refused_in_plain_words(resource, message):
    with pytest.raises(logic.StructureError, match=message.replace("(", r"\(")):
        logic.structure_of(resource)
