"""Properties of trend suggestions over random check-in histories."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import make_request
from slowtaper.taper import ACTIONS, CheckIn, Message, build_plan, diary, due, suggest

PLAN = build_plan(make_request(stabilise_days=28))
NO = dict.fromkeys(tuple(diary().red_flags), False)
FIRST = date(2026, 12, 20)
SPAN = 90


@st.composite
def histories(draw):
    offsets = draw(st.lists(st.integers(0, SPAN), unique=True, max_size=40))
    out = []
    for o in offsets:
        d = FIRST + timedelta(days=o)
        symptoms = draw(
            st.dictionaries(st.sampled_from(["anxiety", "insomnia", "tremor"]), st.none() | st.integers(0, 4))
        )
        out.append(CheckIn(day=d, symptoms=symptoms, red_flags=dict(NO)))
    today = FIRST + timedelta(days=draw(st.integers(max(offsets, default=0), SPAN + 10)))
    return out, today


@settings(max_examples=150, deadline=None)
@given(histories(), st.randoms())
def test_order_of_check_ins_does_not_matter(history, rnd):
    checkins, today = history
    shuffled = list(checkins)
    rnd.shuffle(shuffled)
    a, b = suggest(PLAN, checkins, today), suggest(PLAN, shuffled, today)
    assert a == b and a.action in ACTIONS and a.reason
    # Every finding, signal and piece of advice renders, and survives being stored as code and parameters.
    for message in (*(r.message for r in a.reasons), *(x.message for x in a.open_signals), a.member_message):
        assert message.english().strip()
        assert Message.from_dict(message.to_dict()).english() == message.english()
    for message in due(PLAN, checkins, today).messages:
        assert Message.from_dict(message.to_dict()).english() == message.english()


@settings(max_examples=150, deadline=None)
@given(histories(), st.sampled_from(sorted(NO)))
def test_a_red_flag_today_always_means_contact(history, flag):
    checkins, today = history
    flagged = [*checkins, CheckIn(day=today, red_flags={**NO, flag: True})]
    assert suggest(PLAN, flagged, today).action == "contact"


@settings(max_examples=150, deadline=None)
@given(histories())
def test_a_missed_dose_never_makes_the_suggestion_less_cautious(history):
    checkins, today = history
    step = PLAN.step_on(today) or PLAN.steps[-1]
    if not step.doses or PLAN.step_on(today) is None:
        return
    missed = [*checkins, CheckIn(day=today, doses={step.doses[0].time: "missed"}, red_flags=dict(NO))]
    before = ACTIONS.index(suggest(PLAN, checkins, today).action)
    after = ACTIONS.index(suggest(PLAN, missed, today).action)
    assert after >= before


@st.composite
def flagged_histories(draw):
    """Histories whose check-ins sometimes report a red flag, or whose scores rise from some day on (daily
    check-ins, so that a rise can last long enough to call for a return), and two days to look from."""
    dense = draw(st.booleans())
    offsets = list(range(SPAN)) if dense else draw(st.lists(st.integers(0, SPAN), unique=True, max_size=40))
    rise = FIRST + timedelta(days=draw(st.integers(30, SPAN)))
    base, raised = draw(st.integers(0, 1)), draw(st.integers(1, 3))
    odds = 300 if dense else 15
    out = []
    for o in offsets:
        d = FIRST + timedelta(days=o)
        level = raised if d >= rise else base
        if dense:
            symptoms = {"anxiety": level, "insomnia": level}
        else:
            symptoms = draw(st.dictionaries(st.sampled_from(["anxiety", "insomnia"]), st.integers(0, 3)))
        flags = dict(NO)
        if draw(st.integers(0, odds)) == 0:
            flags[draw(st.sampled_from(sorted(NO)))] = True
        out.append(CheckIn(day=d, symptoms=symptoms, red_flags=flags))
    first = FIRST + timedelta(days=draw(st.integers(0, SPAN)))
    later = first + timedelta(days=draw(st.integers(1, 40)))
    return out, first, later


@settings(max_examples=200, deadline=None)
@given(flagged_histories())
def test_a_suggestion_never_becomes_less_cautious_while_a_red_flag_or_return_is_undecided(history):
    checkins, first, later = history
    before = suggest(PLAN, [c for c in checkins if c.day <= first], first)
    after = suggest(PLAN, [c for c in checkins if c.day <= later], later)
    waiting = [x for x in before.open_signals if x.action in ("contact", "return")]
    if not waiting:
        return
    assert ACTIONS.index(after.action) >= max(ACTIONS.index(x.action) for x in waiting)
    still = {(x.signal, x.day): x.action for x in after.open_signals}
    for x in waiting:
        assert ACTIONS.index(still[(x.signal, x.day)]) >= ACTIONS.index(x.action)
    assert after.held_change is not None or after.next_change is None or after.phase == "stabilisation"
