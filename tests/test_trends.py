"""Trend suggestions on synthetic check-in histories: steady, rising after a cut, red flags, missed doses."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from conftest import make_request
from slowtaper.taper import (
    Decision,
    InvalidInput,
    build_plan,
    catalogue,
    checkin_from_dict,
    diary,
    instrument,
    plan_to_dict,
    suggest,
    thresholds,
    trend_settings,
)

NO_FLAGS = dict.fromkeys(diary().red_flags, False)
PLAN = build_plan(make_request(stabilise_days=28))  # 2 mg/day; stabilise 2027-01-04 .. 01-31; cuts every 14 days
FIRST_CUT = date(2027, 2, 1)
SECOND_CUT = date(2027, 2, 15)


def day(d: date, level: int = 1, **kw):
    raw = {"date": d.isoformat(), "symptoms": {"anxiety": level, "insomnia": level}, "red_flags": NO_FLAGS}
    raw.update(kw)
    return checkin_from_dict(raw)


def days(first: date, n: int, level: int = 1, **kw):
    return [day(first + timedelta(days=i), level, **kw) for i in range(n)]


def ciwa(total: int):
    """Full CIWA-B answers adding up to `total`."""
    out, left = {}, total
    for item in instrument("ciwa-b").items:
        out[item.id] = min(4, left)
        left -= out[item.id]
    return out


def test_the_plan_used_here_is_as_described():
    assert PLAN.steps[0].kind == "stabilise" and PLAN.steps[1].start == FIRST_CUT
    assert PLAN.steps[2].start == SECOND_CUT


# --- stabilisation gate -------------------------------------------------------------------------------------


def test_gate_opens_after_seven_steady_days():
    history = days(date(2027, 1, 10), 7)
    s = suggest(PLAN, history, date(2027, 1, 16))
    assert s.action == "continue" and s.phase == "stabilisation"
    assert (s.stable_days, s.stable_days_needed) == (7, 7)
    assert "first cut (planned for 2027-02-01)" in s.reason and "clinician approves" in s.reason


def test_gate_stays_shut_with_six_days_and_says_what_is_missing():
    s = suggest(PLAN, days(date(2027, 1, 10), 6), date(2027, 1, 15))
    assert s.action == "hold" and s.stable_days == 6
    assert s.reason.startswith("6 of 7 stable days so far: check-ins began on 2027-01-10")
    gap = days(date(2027, 1, 1), 5) + days(date(2027, 1, 7), 6)
    assert "no check-in on 2027-01-06" in suggest(PLAN, gap, date(2027, 1, 12)).reason


def test_gate_counts_up_to_yesterday_before_today_is_checked_in():
    s = suggest(PLAN, days(date(2027, 1, 10), 7), date(2027, 1, 17))
    assert s.stable_days == 7 and s.action == "continue"


def test_falling_scores_count_as_stable_and_rising_ones_break_the_run():
    falling = days(date(2027, 1, 10), 4, 3) + days(date(2027, 1, 14), 4, 1)
    assert suggest(PLAN, falling, date(2027, 1, 17)).stable_days == 8
    rising = days(date(2027, 1, 10), 4, 1) + days(date(2027, 1, 14), 4, 2)
    s = suggest(PLAN, rising, date(2027, 1, 17))
    assert s.stable_days == 4 and "scores rose after 2027-01-13" in s.reason


def test_a_slow_creep_breaks_the_run_even_when_each_day_is_close_to_the_last():
    creep = [
        checkin_from_dict(
            {
                "date": (date(2027, 1, 10) + timedelta(days=i)).isoformat(),
                "symptoms": {"anxiety": i // 3, "insomnia": (i + 1) // 3},  # 0, 0, .5, 1, 1, 1.5, 2, 2
                "red_flags": NO_FLAGS,
            }
        )
        for i in range(8)
    ]
    s = suggest(PLAN, creep, date(2027, 1, 17))
    assert s.action == "hold" and s.stable_days == 3  # 2, 2, 1.5 count; 1.0 is a full point below the top


def test_a_red_flag_or_unanswered_urgent_questions_break_the_run():
    history = days(date(2027, 1, 1), 14)
    history[5] = day(date(2027, 1, 6), red_flags={**NO_FLAGS, "confusion": True})
    s = suggest(PLAN, history[:12], date(2027, 1, 12))
    assert s.stable_days == 6 and s.action == "contact"
    assert any("a red flag on 2027-01-06" in r.text for r in s.reasons if r.action == "hold")
    history[5] = day(date(2027, 1, 6), red_flags={"seizure": False})
    s = suggest(PLAN, history[:12], date(2027, 1, 12))
    assert s.stable_days == 6 and "urgent questions were not all answered on 2027-01-06" in s.reason


def test_no_check_ins_at_all_means_no_cut_yet():
    s = suggest(PLAN, [], date(2027, 1, 20))
    assert s.action == "hold" and s.stable_days == 0 and "no check-ins yet" in s.reason


def test_gate_length_is_settable():
    short = trend_settings().with_overrides({"stable_days_required": "3"})
    s = suggest(PLAN, days(date(2027, 1, 10), 3), date(2027, 1, 12), short)
    assert s.action == "continue" and s.stable_days_needed == 3


# --- during the taper ---------------------------------------------------------------------------------------

STEADY_BEFORE = days(date(2027, 1, 18), 14, 1)


def test_steady_after_a_cut_continues_with_the_comparison():
    history = STEADY_BEFORE + days(FIRST_CUT, 9, 1)
    s = suggest(PLAN, history, date(2027, 2, 9))
    assert s.action == "continue" and s.phase == "taper"
    assert s.last_change == FIRST_CUT and s.next_change == SECOND_CUT
    assert "steady since the last cut on 2027-02-01 (diary 1.00 → 1.00)" in s.reason


def test_early_after_a_cut_steady_is_said_with_the_onset_caveat():
    s = suggest(PLAN, STEADY_BEFORE + days(FIRST_CUT, 3, 1), date(2027, 2, 3))
    assert s.action == "continue" and "withdrawal after a change can start up to 7 days later" in s.reason


def test_diary_rising_after_a_cut_suggests_a_hold():
    history = STEADY_BEFORE + days(FIRST_CUT, 5, 2)
    s = suggest(PLAN, history, date(2027, 2, 5))
    assert s.action == "hold"
    assert s.reason.startswith("The diary score rose from 1.00 to 2.00 (of 4) in the 4 days since the last cut")
    assert "Hold the current step" in s.reason and "do not make the next cut" in s.member


def test_ciwa_b_rising_after_a_cut_gives_the_numbers():
    history = [*STEADY_BEFORE, day(date(2027, 1, 31), 1, ciwa_b=ciwa(12))]
    history += [*days(FIRST_CUT, 4, 1), day(date(2027, 2, 5), 1, ciwa_b=ciwa(27))]
    s = suggest(PLAN, history, date(2027, 2, 6))
    assert s.action == "hold"
    assert "CIWA-B rose from 12 to 27, into the moderate withdrawal band in the 5 days since the last cut" in s.reason


def test_ciwa_b_small_rise_within_a_band_is_steady():
    history = [*STEADY_BEFORE, day(date(2027, 1, 31), 1, ciwa_b=ciwa(12))]
    history += [*days(FIRST_CUT, 4, 1), day(date(2027, 2, 5), 1, ciwa_b=ciwa(18))]
    s = suggest(PLAN, history, date(2027, 2, 6))
    assert s.action == "continue" and "CIWA-B 12 → 18" in s.reason


def test_rise_still_there_after_two_weeks_suggests_return_to_the_previous_dose():
    history = STEADY_BEFORE + days(FIRST_CUT, 14, 2)
    s = suggest(PLAN, history, date(2027, 2, 15) - timedelta(days=0))
    assert s.action == "return"
    assert s.previous_daily_mg == {"clonazepam": Decimal(2)}
    assert "Still raised after 14 days" in s.reason and "2 mg a day of clonazepam" in s.member


def test_return_names_the_dose_before_the_latest_cut():
    history = STEADY_BEFORE + days(FIRST_CUT, 14, 1) + days(SECOND_CUT, 15, 2)
    s = suggest(PLAN, history, SECOND_CUT + timedelta(days=14))
    assert s.action == "return" and s.previous_daily_mg == PLAN.steps[1].daily_mg()


def test_no_check_in_since_the_cut_holds_the_next_one():
    s = suggest(PLAN, STEADY_BEFORE, date(2027, 2, 12))
    assert s.action == "hold" and "No check-in since the last cut on 2027-02-01" in s.reason


def test_a_gap_in_check_ins_just_before_the_next_cut_holds_it():
    history = STEADY_BEFORE + days(FIRST_CUT, 8, 1)  # last check-in 2027-02-08
    assert suggest(PLAN, history, date(2027, 2, 9)).action == "continue"
    s = suggest(PLAN, history, date(2027, 2, 12))
    assert s.action == "hold" and "No symptom check-in in the last 3 days and the next cut is on 2027-02-15" in s.reason


# --- red flags, severity and missed doses ---------------------------------------------------------------------


def test_a_red_flag_means_contact_now_whatever_else():
    history = STEADY_BEFORE + days(FIRST_CUT, 6, 1)
    history.append(day(date(2027, 2, 7), 1, red_flags={**NO_FLAGS, "seizure": True}))
    s = suggest(PLAN, history, date(2027, 2, 7))
    assert s.action == "contact"
    assert s.reason.startswith("On 2027-02-07 the check-in reported a red flag: seizure")
    assert "call 911" in s.member


def test_a_red_flag_keeps_asking_for_contact_until_a_clinician_decides_on_it():
    """A red flag used to drop out of the suggestion after its week, decided on or not."""
    history = [*STEADY_BEFORE, day(date(2027, 1, 20), 1, red_flags={**NO_FLAGS, "suicidal": True})]
    history += days(date(2027, 1, 21), 20, 1)
    s = suggest(PLAN, history, date(2027, 2, 9))
    assert s.action == "contact" and "No clinician has recorded a decision on it yet" in s.reason
    assert [x.signal for x in s.open_signals] == ["red-flag"] and s.held_change == FIRST_CUT
    assert "the next cut waits until they have" in s.member
    seen = Decision("red-flag", date(2027, 1, 20), "continue", date(2027, 1, 22))
    s = suggest(PLAN, history, date(2027, 2, 9), decisions=[seen])
    assert s.action != "contact" and not s.open_signals and s.held_change is None
    # A decision dated after today has not been made yet.
    early = [c for c in history if c.day <= date(2027, 1, 21)]
    assert suggest(PLAN, early, date(2027, 1, 21), decisions=[seen]).action == "contact"


def test_severe_ciwa_b_or_severe_diary_means_contact():
    history = [*STEADY_BEFORE, day(FIRST_CUT, 1, ciwa_b=ciwa(45))]
    s = suggest(PLAN, history, date(2027, 2, 2))
    assert s.action == "contact" and "CIWA-B 45 of 80 (severe withdrawal" in s.reason
    s = suggest(PLAN, STEADY_BEFORE + days(FIRST_CUT, 3, 3), date(2027, 2, 3))
    assert s.action == "contact" and "averaged 3.00 (of 4)" in s.reason


def test_the_severe_threshold_is_not_applied_to_a_self_rated_score():
    """41 is a band of the full 20-item CIWA-B; the 17 self-rated items alone have no band, so a self-rated
    total of 45 is not called severe (its rise after a cut is still compared like with like)."""
    self_items = [i for i in instrument("ciwa-b").items if i.rater == "self"]
    answers, left = {}, 45
    for item in self_items:
        answers[item.id] = min(4, left)
        left -= answers[item.id]
    history = [*STEADY_BEFORE, day(FIRST_CUT, 1, ciwa_b=answers)]
    s = suggest(PLAN, history, date(2027, 2, 2))
    assert history[-1].ciwa_b.part == "self"
    assert not any(r.rule == "ciwa-severe" for r in s.reasons)


def test_one_missed_dose_holds_three_mean_contact():
    history = STEADY_BEFORE + days(FIRST_CUT, 8, 1, doses={"08:00": "taken", "22:00": "taken"})
    history[-2] = day(date(2027, 2, 7), 1, doses={"08:00": "taken", "22:00": "missed"})
    s = suggest(PLAN, history, date(2027, 2, 8))
    assert s.action == "hold" and s.reason.startswith("1 dose missed in the last 7 days (2027-02-07 22:00)")
    history[-3] = day(date(2027, 2, 6), 1, doses={"08:00": "missed", "22:00": "missed"})
    s = suggest(PLAN, history, date(2027, 2, 8))
    assert s.action == "contact" and s.reason.startswith("3 doses missed in the last 7 days")


def test_late_doses_are_not_missed_doses():
    history = STEADY_BEFORE + days(FIRST_CUT, 8, 1, doses={"08:00": "late", "22:00": "late"})
    assert suggest(PLAN, history, date(2027, 2, 8)).action == "continue"


# --- after the last dose, and input checks ----------------------------------------------------------------------


def test_after_stopping_a_rise_means_contact_and_steady_means_keep_checking_in():
    short = build_plan(make_request(regimen=((make_request().regimen[0][0], Decimal("0.25")),), every_days=14))
    stop = short.end
    before = days(stop - timedelta(days=7), 7, 1)
    s = suggest(short, before + days(stop, 5, 1), stop + timedelta(days=4))
    assert s.phase == "after" and s.action == "continue" and "Keep checking in: weekly, then monthly" in s.reason
    s = suggest(short, before + days(stop, 5, 2), stop + timedelta(days=4))
    assert s.action == "contact" and "since stopping" in s.reason


def test_check_ins_after_today_or_at_unplanned_times_are_refused():
    with pytest.raises(InvalidInput, match="dated 2027-01-21, after today"):
        suggest(PLAN, [day(date(2027, 1, 21))], date(2027, 1, 20))
    with pytest.raises(
        InvalidInput, match="logs a dose at 12:00, but the plan's dose times that day are: 08:00, 22:00"
    ):
        suggest(PLAN, [day(date(2027, 1, 20), doses={"12:00": "taken"})], date(2027, 1, 20))


def test_two_check_ins_on_one_day_are_combined_and_a_yes_is_never_lost():
    first = day(date(2027, 1, 20), 1, red_flags={**NO_FLAGS, "psychosis": True})
    second = day(date(2027, 1, 20), 1)
    s = suggest(PLAN, [first, second], date(2027, 1, 20))
    assert s.action == "contact"


def test_suggesting_never_changes_the_plan():
    before = plan_to_dict(PLAN)
    suggest(PLAN, STEADY_BEFORE + days(FIRST_CUT, 14, 2), date(2027, 2, 15))
    assert plan_to_dict(PLAN) == before


def test_thresholds_are_documented_data_with_sources():
    sources = catalogue().sources
    for t in thresholds().values():
        assert t.source in sources and len(t.why) > 40 and t.unit
    assert trend_settings().ciwa_contact == instrument("ciwa-b").band_for(41).low  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"stable_days": 3}, "unknown threshold 'stable_days'"),
        ({"stable_days_required": "a week"}, "must be a whole number"),
        ({"stable_days_required": 0}, "at least 1"),
        ({"stable_tolerance": "-1"}, "0 or more"),
    ],
)
def test_bad_threshold_overrides_are_refused(change, message):
    with pytest.raises(InvalidInput, match=message):
        trend_settings().with_overrides(change)


# --- what is due, and the timeline ----------------------------------------------------------------------------


def test_diary_is_due_daily_and_a_ciwa_b_weekly():
    from slowtaper.taper import due

    nothing = due(PLAN, [], date(2027, 1, 10))
    assert nothing.diary and nothing.ciwa_b and "baseline" in " ".join(nothing.reasons)
    today = date(2027, 1, 10)
    done = due(PLAN, [day(today, 1, ciwa_b=ciwa(10))], today)
    assert not done.diary and not done.ciwa_b and done.reasons == ()
    week_later = [day(date(2027, 1, 3), 1, ciwa_b=ciwa(10)), day(today, 1)]
    assert due(PLAN, week_later, today).ciwa_b
    six_days = [day(date(2027, 1, 4), 1, ciwa_b=ciwa(10)), day(today, 1)]
    assert not due(PLAN, six_days, today).ciwa_b


def test_a_ciwa_b_is_asked_for_from_the_third_day_after_a_cut():
    from slowtaper.taper import due

    history = [day(date(2027, 1, 31), 1, ciwa_b=ciwa(10)), *days(FIRST_CUT, 3, 1)]
    assert not due(PLAN, history, date(2027, 2, 3)).ciwa_b
    on_day_three = due(PLAN, [*history, day(date(2027, 2, 4), 1)], date(2027, 2, 4))
    assert on_day_three.ciwa_b and "after the cut on 2027-02-01" in " ".join(on_day_three.reasons)
    history.append(day(date(2027, 2, 4), 1, ciwa_b=ciwa(11)))
    assert not due(PLAN, history, date(2027, 2, 5)).ciwa_b


def test_after_the_last_dose_follow_up_is_weekly_then_every_four_weeks():
    from slowtaper.taper import due

    short = build_plan(make_request(regimen=((make_request().regimen[0][0], Decimal("0.25")),), every_days=14))
    stop = short.end
    first = due(short, [], stop + timedelta(days=2))
    assert first.diary and first.ciwa_b and "weekly" in first.reasons[0]
    checked = [day(stop + timedelta(days=2), 1)]
    assert not due(short, checked, stop + timedelta(days=8)).diary
    assert due(short, checked, stop + timedelta(days=9)).diary
    late = stop + timedelta(weeks=13)
    checked = [day(late - timedelta(days=20), 1)]
    assert not due(short, checked, late).diary
    assert "every 28 days" in due(short, checked, late + timedelta(days=8)).reasons[0]


def test_timeline_puts_the_dose_beside_the_scores_and_leaves_gaps_empty():
    from slowtaper.taper import timeline

    history = [day(date(2027, 1, 30), 2, ciwa_b=ciwa(14)), day(FIRST_CUT, 1, doses={"22:00": "missed"})]
    rows = timeline(PLAN, history, date(2027, 1, 30), date(2027, 2, 2))
    assert [r.day for r in rows] == [date(2027, 1, 30) + timedelta(days=i) for i in range(4)]
    assert rows[0].daily_mg == {"clonazepam": Decimal(2)} and rows[0].diazepam_mg == Decimal(40)
    assert rows[0].diary == Decimal(2) and rows[0].ciwa_b == 14 and rows[0].ciwa_b_part == "all"
    assert rows[1].diary is None and rows[1].ciwa_b is None  # no check-in: empty, not 0
    assert rows[2].daily_mg == PLAN.steps[1].daily_mg() and rows[2].missed == 1
    before = timeline(PLAN, [], date(2027, 1, 1), date(2027, 1, 1))
    assert before[0].daily_mg == {"clonazepam": Decimal(2)}
    with pytest.raises(InvalidInput, match="before its first"):
        timeline(PLAN, [], date(2027, 2, 2), date(2027, 2, 1))


def test_a_plan_with_no_cut_is_maintenance_and_red_flags_still_count():
    hold_only = build_plan(make_request(method="custom", custom_csv="days,daily_mg\n28,2\n"))
    s = suggest(hold_only, [day(date(2027, 1, 9), 1)], date(2027, 1, 10))
    assert (s.phase, s.action) == ("maintenance", "continue") and "No cut is planned" in s.reason
    flagged = [day(date(2027, 1, 9), 1, red_flags={**NO_FLAGS, "confusion": True})]
    assert suggest(hold_only, flagged, date(2027, 1, 10)).action == "contact"


def test_during_a_switch_to_diazepam_a_rise_holds_the_stage_and_a_return_names_both_drugs():
    switch = build_plan(make_request(method="crossover", equivalence="ashton", stabilise_days=14))
    stage2 = switch.steps[2]  # clonazepam 1 mg + diazepam 20 mg from 2027-01-25
    history = days(date(2027, 1, 18), 7, 1) + days(stage2.start, 4, 2)
    s = suggest(switch, history, stage2.start + timedelta(days=3))
    assert s.action == "hold" and "since the last switch stage" in s.reason
    history = days(date(2027, 1, 18), 7, 1) + days(stage2.start, 7, 1)
    assert suggest(switch, history, stage2.start + timedelta(days=6)).action == "continue"
    later = days(switch.steps[4].start - timedelta(days=7), 7, 1) + days(switch.steps[4].start, 15, 2)
    s = suggest(switch, later, switch.steps[4].start + timedelta(days=14))
    assert s.action == "return" and s.previous_daily_mg == switch.steps[3].daily_mg()
    assert "diazepam" in s.member and "clonazepam" in s.member


def test_one_symptom_at_its_worst_or_mood_at_its_lowest_means_contact():
    """A mean hides one unbearable symptom: panic at 4 of 4 among calm ones, or mood 'very low', asks for the
    clinician now (a program choice, said so in trends.toml)."""
    worst = day(FIRST_CUT, 0, symptoms={"anxiety": 0, "insomnia": 0, "panic": 4})
    s = suggest(PLAN, [*STEADY_BEFORE, worst], date(2027, 2, 2))
    assert s.action == "contact" and any(r.rule == "symptom-worst" and "panic" in r.text for r in s.reasons)
    low = day(FIRST_CUT, 0, mood=0)
    s = suggest(PLAN, [*STEADY_BEFORE, low], date(2027, 2, 2))
    assert s.action == "contact" and any(r.rule == "mood-lowest" for r in s.reasons)
    assert thresholds()["symptom_worst_contact"].source == "slowtaper_default"


# --- signals persist until a clinician decides ------------------------------------------------------------------


def test_a_return_is_not_forgotten_when_the_next_planned_cut_comes():
    """It used to say "return" on 15 Feb and "continue, scores are steady" on 16 Feb: the second cut reset the
    comparison. Now the second cut is held and the return stays until a clinician decides on it."""
    history = STEADY_BEFORE + days(FIRST_CUT, 16, 2)
    assert suggest(PLAN, history[:-1], SECOND_CUT).action == "return"
    s = suggest(PLAN, history, SECOND_CUT + timedelta(days=1))
    assert s.action == "return" and s.held_change == SECOND_CUT
    assert s.previous_daily_mg == {"clonazepam": Decimal(2)}
    assert any(r.rule == "held-for-clinician" for r in s.reasons)
    assert [(x.signal, x.day, x.action) for x in s.open_signals] == [("rise", FIRST_CUT, "return")]
    # Once decided, the second cut is measured from as planned.
    decided = Decision("rise", FIRST_CUT, "continue", SECOND_CUT)
    s = suggest(PLAN, history, SECOND_CUT + timedelta(days=1), decisions=[decided])
    assert s.held_change is None and not s.open_signals and s.last_change == SECOND_CUT


def test_a_hold_stays_until_decided_even_when_scores_settle_and_grows_into_a_return():
    history = STEADY_BEFORE + days(FIRST_CUT, 4, 1) + days(date(2027, 2, 5), 3, 3) + days(date(2027, 2, 8), 4, 1)
    s = suggest(PLAN, history, date(2027, 2, 11))
    assert s.action == "hold" and "(Found on 2027-02-0" in s.reason and "no clinician has recorded" in s.reason
    # Still raised past two weeks, with the second cut held: return, measured from the first cut.
    raised = STEADY_BEFORE + days(FIRST_CUT, 4, 1) + days(date(2027, 2, 5), 16, 2)
    s = suggest(PLAN, raised, date(2027, 2, 20))
    assert s.action == "return" and s.held_change == SECOND_CUT and "19 days since the last cut" in s.reason
    # A decision covers the hold: the suggestion says what was decided instead of asking again.
    seen = Decision("rise", FIRST_CUT, "continue", date(2027, 2, 7))
    assert suggest(PLAN, history, date(2027, 2, 11), decisions=[seen]).action == "continue"
    s = suggest(PLAN, [c for c in raised if c.day <= date(2027, 2, 14)], date(2027, 2, 14), decisions=[seen])
    assert s.action == "continue" and s.reasons[0].rule == "rise-decided" and "decided 'continue'" in s.reason


def test_a_seizure_asks_for_contact_until_a_clinician_decides():
    """A seizure on 6 Feb said "contact" until 12 Feb and "continue with the plan" on 13 Feb."""
    history = STEADY_BEFORE + days(FIRST_CUT, 5, 1)
    history.append(day(date(2027, 2, 6), 1, red_flags={**NO_FLAGS, "seizure": True}))
    history += days(date(2027, 2, 7), 14, 1)
    for today in (date(2027, 2, 13), date(2027, 2, 20)):
        s = suggest(PLAN, [c for c in history if c.day <= today], today)
        assert s.action == "contact" and s.reason.startswith("On 2027-02-06 the check-in reported a red flag")
    assert suggest(PLAN, history, date(2027, 2, 20)).held_change == SECOND_CUT
    done = Decision("red-flag", date(2027, 2, 6), "continue", date(2027, 2, 7))
    upto = [c for c in history if c.day <= date(2027, 2, 13)]
    assert suggest(PLAN, upto, date(2027, 2, 13), decisions=[done]).action == "continue"


def test_a_decision_is_checked():
    with pytest.raises(InvalidInput, match="signal must be one of"):
        Decision("mood", FIRST_CUT, "continue", FIRST_CUT)
    with pytest.raises(InvalidInput, match="a decision must be one of"):
        Decision("rise", FIRST_CUT, "ignore", FIRST_CUT)
    with pytest.raises(InvalidInput, match="cannot be dated before it"):
        Decision("rise", FIRST_CUT, "continue", FIRST_CUT - timedelta(days=1))


def test_mood_and_alcohol_screens_are_due_at_the_start_and_every_four_weeks():
    from slowtaper.taper import due, instrument

    start = date(2027, 1, 10)
    assert due(PLAN, [], start).screens == ("phq-9", "gad-7", "audit-c")
    phq = {i.id: 0 for i in instrument("phq-9").items}
    done = [day(start, 1, phq9=phq)]
    assert due(PLAN, done, start).screens == ("gad-7", "audit-c")
    assert due(PLAN, done, start + timedelta(days=27)).screens == ("gad-7", "audit-c")
    assert due(PLAN, done, start + timedelta(days=28)).screens == ("phq-9", "gad-7", "audit-c")
    assert thresholds()["screen_every_days"].value == 28
