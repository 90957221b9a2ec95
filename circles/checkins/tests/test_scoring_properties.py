"""Properties of scoring over any valid answers: ranges, bands, direction, and the C-SSRS tier order."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from circles.checkins import logic

CODES = list(logic.INSTRUMENTS)
SUM_SCORED = ["phq9", "gad7", "who5", "mspss", "barc10", "pacs", "auditc", "phq2", "gad2"]


def complete_answers(data, code: str) -> dict:
    """Draws valid answers to every question that skip logic shows, in order."""
    structure = logic.INSTRUMENTS[code].structure
    answers: dict = {}
    for item in structure.items:
        if item.link_id not in {shown.link_id for shown in structure.enabled(answers)}:
            continue
        if item.kind == logic.BOOLEAN:
            answers[item.link_id] = data.draw(st.booleans(), label=item.link_id)
        else:
            answers[item.link_id] = data.draw(st.sampled_from(sorted(item.values)), label=item.link_id)
    return answers


@pytest.mark.parametrize("code", CODES)
@given(data=st.data(), sex=st.sampled_from([None, "female", "male"]))
def test_any_valid_answers_score_within_range_and_band(code, data, sex):
    instrument = logic.INSTRUMENTS[code]
    answers = complete_answers(data, code)
    assert logic.answer_errors(instrument.structure, answers, complete=True) == {}
    result = logic.score(code, answers, sex=sex)
    assert result.instrument == code
    if instrument.scale_min is None:
        assert result.total is None
    else:
        assert instrument.scale_min <= result.total <= instrument.scale_max
    if instrument.bands:
        assert result.band in {band.code for band in instrument.bands}
        assert logic.band_for(instrument, result.total).code == result.band
    elif code == "cssrs":
        assert result.band in logic.RISK_TIERS
    else:
        assert result.band is None
    for value in result.subscales.values():
        assert value >= 0
    if code == "mspss":
        assert all(1 <= value <= 7 for value in result.subscales.values())
    if code == "bam":
        assert all(0 <= value <= 24 for value in result.subscales.values())
    if code == "who5":
        assert 0 <= result.subscales["raw"] <= 25
        assert result.total == result.subscales["raw"] * 4


@pytest.mark.parametrize("code", SUM_SCORED)
@given(data=st.data())
def test_raising_one_answer_never_lowers_the_total(code, data):
    structure = logic.INSTRUMENTS[code].structure
    answers = complete_answers(data, code)
    item = data.draw(st.sampled_from(structure.items))
    higher = [value for value in item.values if value > answers[item.link_id]]
    if not higher:
        return
    raised = answers | {item.link_id: data.draw(st.sampled_from(sorted(higher)))}
    assert logic.score(code, raised).total >= logic.score(code, answers).total


@given(data=st.data())
def test_raising_one_bam_answer_never_lowers_its_subscale(data):
    structure = logic.INSTRUMENTS["bam"].structure
    answers = complete_answers(data, "bam")
    item = data.draw(st.sampled_from(structure.items))
    higher = [value for value in item.values if value > answers[item.link_id]]
    if not higher:
        return
    raised = answers | {item.link_id: max(higher)}
    before, after = logic.score("bam", answers).subscales, logic.score("bam", raised).subscales
    for name, items in logic.BAM_SUBSCALES.items():
        assert after[name] >= before[name]
        if item.link_id not in items:
            assert after[name] == before[name]


@given(data=st.data())
def test_adding_a_yes_never_lowers_the_cssrs_tier(data):
    structure = logic.INSTRUMENTS["cssrs"].structure
    answers = complete_answers(data, "cssrs")
    noes = [link_id for link_id, value in answers.items() if value is False]
    if not noes:
        return
    changed = answers | {data.draw(st.sampled_from(noes)): True}
    for item in structure.enabled(changed):  # a new yes may open questions; answer them "no"
        changed.setdefault(item.link_id, False)
    assert logic.answer_errors(structure, changed, complete=True) == {}
    rank = logic.RISK_TIERS.index
    assert rank(logic.risk_tier(changed)) >= rank(logic.risk_tier(answers))


@given(data=st.data())
def test_a_positive_screen_is_exactly_a_tier_above_none(data):
    answers = complete_answers(data, "cssrs")
    result = logic.score("cssrs", answers)
    assert result.safety is (result.band != "none")
    assert (result.band == "none") is not any(answers.values())


@pytest.mark.parametrize("code", CODES)
@given(data=st.data())
def test_every_answer_to_an_unknown_or_hidden_question_is_reported(code, data):
    structure = logic.INSTRUMENTS[code].structure
    answers = complete_answers(data, code)
    shown = {item.link_id for item in structure.enabled(answers)}
    hidden = [item for item in structure.items if item.link_id not in shown]
    extra = {"zz": 1} | {
        item.link_id: False if item.kind == logic.BOOLEAN else min(item.values) for item in hidden
    }
    errors = logic.answer_errors(structure, answers | extra, complete=True)
    assert set(errors) == set(extra)
