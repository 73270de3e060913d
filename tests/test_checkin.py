"""The diary catalogue, reading check-ins (missing stays missing), and the triage of red flags."""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal

import pytest

from slowtaper.taper import InvalidInput, catalogue, checkin_from_dict, checkin_to_dict, diary, instrument, triage

NO_FLAGS = dict.fromkeys(diary().red_flags, False)


def checkin(**kw):
    return checkin_from_dict({"date": "2027-01-05", "red_flags": NO_FLAGS, **kw})


def test_catalogue_has_about_fifty_symptoms_in_plain_words():
    book = diary()
    assert 40 <= len(book.symptoms) <= 60
    assert set(book.red_flags) == set(NO_FLAGS)
    for s in book.symptoms.values():
        assert s.group in book.groups and s.label and s.description.endswith(".")
    # Every group is used, so no heading shows empty; both kinds of symptom are there.
    assert {s.group for s in book.symptoms.values()} == set(book.groups)
    kinds = [book.groups[s.group].kind for s in book.symptoms.values()]
    assert kinds.count("physical") >= 20 and kinds.count("psychological") >= 10


def test_red_flag_symptoms_are_questions_not_optional_symptoms():
    book = diary()
    for name in ("seizures", "hallucinations", "paranoia", "delirium", "suicidality"):
        assert name not in book.symptoms
        with pytest.raises(InvalidInput, match="asked at every check-in as the urgent question"):
            checkin(symptoms={name: 1})


def test_missing_answers_stay_missing_and_do_not_lower_the_score():
    c = checkin(symptoms={"anxiety": 3, "insomnia": None, "tinnitus": 1})
    assert c.symptoms["insomnia"] is None
    assert c.burden() == Decimal("2.00")  # (3 + 1) / 2, not (3 + 0 + 1) / 3
    assert checkin(symptoms={"anxiety": None}).burden() is None
    assert checkin().burden() is None


def test_doses_sleep_mood_and_questionnaires_are_read():
    ciwa = instrument("ciwa-b")
    c = checkin(
        sleep_hours=5.5,
        mood=1,
        doses={"08:00": "taken", "22:00": "missed"},
        ciwa_b={i.id: 1 for i in ciwa.items if i.rater == "self"},
    )
    assert c.sleep_hours == Decimal("5.5") and c.mood == 1
    assert c.missed() == (time(22, 0),)
    assert c.ciwa_b is not None and c.ciwa_b.part == "self" and c.ciwa_b.total == 17


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"symptoms": {"anxiety": 5}}, "symptom 'anxiety' must be a whole number from 0 to 4"),
        ({"symptoms": {"anxiety": 1.5}}, "symptom 'anxiety' must be a whole number"),
        ({"symptoms": {"anxeity": 1}}, "did you mean 'anxiety'"),
        ({"symptoms": [1, 2]}, "symptoms must be an object"),
        ({"mood": 7}, "mood must be a whole number from 0 to 4"),
        ({"sleep_hours": 25}, "sleep_hours must be from 0 to 24"),
        ({"sleep_hours": "lots"}, "sleep_hours must be a number"),
        ({"doses": {"8am": "taken"}}, "dose time '8am' is not a clock time"),
        ({"doses": {"08:00": "skipped"}}, "must be one of taken, late, missed"),
        ({"red_flags": {"seizure": "no"}}, "red flag 'seizure' must be true, false or null"),
        ({"red_flags": {"fainting": True}}, "'fainting' is not a red-flag question"),
        ({"ciwa_b": {"tense": 9}}, "check-in 2027-01-05: CIWA-B item 'tense' must be"),
        ({"weather": "rain"}, "unknown check-in field 'weather'"),
        ({"date": "05/01/2027"}, "is not a date as YYYY-MM-DD"),
    ],
)
def test_bad_check_ins_are_refused_naming_the_field(raw, message):
    with pytest.raises(InvalidInput, match=message):
        checkin(**raw)


def test_a_check_in_needs_a_date_and_an_object():
    with pytest.raises(InvalidInput, match='needs a "date"'):
        checkin_from_dict({"symptoms": {}})
    with pytest.raises(InvalidInput, match="must be an object"):
        checkin_from_dict(["2027-01-05"])


def test_only_tracked_symptoms_are_accepted_when_the_member_chose_them():
    ok = checkin_from_dict({"date": "2027-01-05", "symptoms": {"anxiety": 1}}, tracked=["anxiety"])
    assert ok.symptoms == {"anxiety": 1}
    with pytest.raises(InvalidInput, match="'tinnitus' is not one of the symptoms this member tracks"):
        checkin_from_dict({"date": "2027-01-05", "symptoms": {"tinnitus": 1}}, tracked=["anxiety"])


def test_round_trip_through_json_form():
    ciwa = instrument("ciwa-b")
    c = checkin(
        symptoms={"anxiety": 2, "tinnitus": None},
        sleep_hours=6,
        mood=3,
        doses={"08:00": "late"},
        ciwa_b={i.id: 2 for i in ciwa.items},
    )
    again = checkin_from_dict(checkin_to_dict(c))
    assert again == c


@pytest.mark.parametrize("flag", sorted(NO_FLAGS))
def test_each_red_flag_makes_the_check_in_urgent_with_guidance(flag):
    result = triage(checkin(red_flags={**NO_FLAGS, flag: True}), region="US")
    assert result.level == "urgent"
    assert [h.flag.id for h in result.hits] == [flag]
    assert result.guidance[0] == diary().red_flags[flag].member
    assert "call 911" in " ".join(result.guidance)
    assert flag in result.reason.lower() or diary().red_flags[flag].label in result.reason
    assert "2027-01-05" in result.clinician[0]


def test_no_red_flag_is_routine_and_unanswered_questions_are_listed():
    assert triage(checkin()).level == "routine"
    partial = checkin_from_dict({"date": "2027-01-05", "red_flags": {"seizure": False}})
    result = triage(partial)
    assert result.level == "routine"
    assert set(result.unanswered) == set(NO_FLAGS) - {"seizure"}


def test_emergency_number_follows_the_region_and_suicidal_thoughts_add_a_crisis_line():
    c = checkin(red_flags={**NO_FLAGS, "suicidal": True})
    uk = triage(c, region="UK")
    assert "call 999" in " ".join(uk.guidance) and "116 123" in " ".join(uk.guidance)
    assert "988" in " ".join(triage(c, region="US").guidance)
    assert "000" in " ".join(triage(c, region="AU").guidance)
    with pytest.raises(InvalidInput, match="unknown region"):
        triage(c, region="FR")


def test_over_sedation_with_opioids_says_it_is_more_dangerous():
    c = checkin(red_flags={**NO_FLAGS, "oversedation": True})
    plain = triage(c, comedications=[])
    with_opioid = triage(c, comedications=["opioid"])
    assert "opioids or alcohol" not in plain.guidance[0]
    assert "even more dangerous with opioids or alcohol" in with_opioid.guidance[0]
    assert "opioid" in with_opioid.clinician[0]


def test_bwsq_hallucinations_answer_is_a_red_flag_in_a_check_in():
    bwsq = instrument("bwsq")
    answers = dict.fromkeys((i.id for i in bwsq.items), 0) | {"hallucinations": 2}
    result = triage(checkin(bwsq=answers))
    assert result.level == "urgent" and result.hits[0].flag.id == "psychosis"
    assert "BWSQ item" in result.hits[0].evidence


def test_check_in_day_is_a_date():
    assert checkin().day == date(2027, 1, 5)


def test_unknown_co_medication_ids_are_refused_in_triage():
    with pytest.raises(InvalidInput, match="'heroin' is not a co-medication id"):
        triage(checkin(), comedications=["heroin"])


@pytest.mark.parametrize("flag", ["seizure", "confusion", "psychosis", "suicidal", "oversedation"])
def test_the_clinicians_alert_reads_as_sentences(flag):
    """The quoted question keeps its own question mark (no "yourself?."), and nothing assumes a cut was made:
    a red flag can come before the first reduction."""
    text = triage(checkin(red_flags={**NO_FLAGS, flag: True}), region="US").clinician[0]
    assert "?." not in text and ".." not in text
    assert "during reduction" not in text


NEW_FLAGS = ("fall", "extra_use", "hopeless", "chest_pain_severe", "mania_agitation")


@pytest.mark.parametrize("flag", NEW_FLAGS)
def test_falls_extra_use_hopelessness_chest_pain_and_mania_are_red_flag_questions(flag):
    """Each is asked at every check-in (unanswered counts as unanswered), makes the check-in urgent with
    emergency guidance, and gives the clinician a sourced alert."""
    book = diary()
    assert flag in book.red_flags and flag not in book.symptoms
    assert flag in checkin(red_flags={k: v for k, v in NO_FLAGS.items() if k != flag}).unanswered_flags()
    assert flag in checkin_from_dict({"date": "2027-01-05"}).unanswered_flags()
    result = triage(checkin(red_flags={**NO_FLAGS, flag: True}), region="UK")
    assert result.level == "urgent" and [h.flag.id for h in result.hits] == [flag]
    assert result.guidance[-1] == "Emergency services: call 999." or "Crisis support" in result.guidance[-1]
    assert book.red_flags[flag].source in catalogue().sources


def test_hopelessness_gives_the_crisis_line_and_falls_with_sedatives_say_so():
    hopeless = triage(checkin(red_flags={**NO_FLAGS, "hopeless": True}), region="AU")
    assert hopeless.guidance[-1] == "Crisis support, any hour: call Lifeline on 13 11 14."
    fall = triage(checkin(red_flags={**NO_FLAGS, "fall": True}), comedications=["alcohol"])
    assert "Opioids, alcohol or other sedatives make falls" in fall.guidance[0]
    assert "Co-medications on record: alcohol." in fall.clinician[0]
    assert "Crisis support" not in " ".join(fall.guidance)


def test_old_names_for_the_new_red_flags_point_to_the_question():
    for name in ("falls", "mania", "hopelessness", "misuse"):
        with pytest.raises(InvalidInput, match="asked at every check-in as the urgent question"):
            checkin(symptoms={name: 1})
