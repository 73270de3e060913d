"""Whatever JSON arrives, the assessment readers either accept it or refuse it with a TaperError: no crash."""

from __future__ import annotations

import contextlib
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import make_request
from slowtaper.taper import (
    TaperError,
    build_plan,
    checkin_from_dict,
    instrument,
    screen,
    screen_answers_from_dict,
    suggest,
)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-10, max_value=200),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
)
json_values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
)
KEYS = ["date", "symptoms", "sleep_hours", "mood", "doses", "red_flags", "ciwa_b", "bwsq", "anxiety", "08:00"]
checkin_like = st.dictionaries(st.sampled_from(KEYS), json_values, max_size=6).map(
    lambda d: {**d, "date": d.get("date", "2027-01-05")}
)
SCREEN_KEYS = ["age", "pregnant", "breastfeeding", "conditions", "comedications", "use", "drug", "daily_dose_mg"]
screen_like = st.dictionaries(st.sampled_from(SCREEN_KEYS), json_values, max_size=7)
PLAN = build_plan(make_request(stabilise_days=28))


@settings(max_examples=300, deadline=None)
@given(checkin_like)
def test_check_in_reader_never_crashes(raw):
    try:
        c = checkin_from_dict(raw)
    except TaperError:
        return
    with contextlib.suppress(TaperError):
        suggest(PLAN, [c], date(2030, 1, 1))


@settings(max_examples=300, deadline=None)
@given(screen_like, st.fixed_dictionaries({}, optional=dict.fromkeys(["drug", "daily_dose_mg"], json_values)))
def test_screen_reader_never_crashes(raw, use):
    if "use" in raw and isinstance(raw["use"], dict):
        raw["use"].update(use)
    with contextlib.suppress(TaperError):
        screen(screen_answers_from_dict(raw))


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from([i.id for i in instrument("bwsq").items] + ["x"]), scalars, max_size=22))
def test_scorer_never_crashes(answers):
    try:
        score = instrument("bwsq").score(answers)
    except TaperError:
        return
    assert 0 <= score.total <= 40
