"""Issue 14 in the web app: the intake asks the new screens, the adjuncts and the prescription-record check;
the result says which setting and why; the clinician's member page and the member's plan show the adjuncts."""

from __future__ import annotations

from conftest import give_intake, give_plan, login
from slowtaper.programs.forms import intake_initial
from slowtaper.programs.models import Intake

INTAKE = {
    "drug": "clonazepam",
    "time_1": "08:00",
    "mg_1": "0.5",
    "time_2": "22:00",
    "mg_2": "0.5",
    "duration": "3",
    "duration_unit": "years",
    "days_per_week": "7",
    "age": "52",
}


def test_the_intake_asks_the_new_screens_the_adjuncts_and_the_record_check(client, cast):
    login(client, cast.member)
    page = client.get("/me/intake/").content.decode()
    for words in (
        "major depression",
        "Post-traumatic stress",
        "Psychosis",
        "no one nearby who could check on me",
        "somewhere other than a pharmacy",
        "St John&#x27;s wort",
        "Grapefruit",
        "Kava",
        "prescription record",
        "does not sell or recommend",
    ):
        assert words in page, words
    # Alcohol is asked once, among the co-medications, not again among the supplements.
    assert page.count('value="alcohol"') == 1


def test_breathing_risks_together_send_the_member_to_a_supervised_setting_and_say_why(client, cast):
    login(client, cast.member)
    data = {
        **INTAKE,
        "conditions": ["sleep_apnoea", "respiratory"],
        "comedications": ["opioid", "alcohol", "cns_depressant"],
        "adjuncts": ["kava", "st_johns_wort"],
        "pdmp": "unsure",
    }
    assert client.post("/me/intake/", data).status_code == 302
    intake = Intake.objects.get(member=cast.member)
    assert intake.setting == "supervised" and intake.blocks_self_service
    assert intake.answers["adjuncts"] == ["alcohol", "kava", "st_johns_wort"]
    assert intake.answers["pdmp"] == "unsure"
    ids = {f["id"] for f in intake.findings}
    assert {"breathing_risks_4", "naloxone", "pdmp_not_checked", "adjunct_kava", "st_johns_wort_cyp3a"} <= ids
    result = client.get("/me/intake/result/").content.decode()
    assert "Supervised or inpatient withdrawal" in result
    assert "data-why" in result and "Many things in your answers can slow your breathing" in result
    assert "ask your doctor or pharmacist for naloxone" in result
    assert "data-adjuncts" in result and "Kava has been linked to serious liver damage" in result
    assert "routine check for everyone" in result
    # Answering again starts from what was said, supplements included (alcohol stays a co-medication).
    again = client.get("/me/intake/")
    assert again.status_code == 302  # blocked: the clinician reviews first
    form_initial = intake_initial(intake)
    assert form_initial["adjuncts"] == ["kava", "st_johns_wort"] and form_initial["pdmp"] == "unsure"


def test_a_bad_record_check_answer_is_refused_and_nothing_is_saved(client, cast):
    login(client, cast.member)
    response = client.post("/me/intake/", {**INTAKE, "pdmp": "perhaps", "adjuncts": ["ginseng"]})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Select a valid choice" in body
    assert not Intake.objects.filter(member=cast.member).exists()


def test_the_clinician_sees_adjuncts_and_which_finding_set_the_setting(client, cast):
    give_intake(
        cast.member,
        conditions=["alcohol_use"],
        adjuncts=["st_johns_wort", "grapefruit"],
        use={"drug": "clonazepam", "daily_dose_mg": 3, "duration_weeks": 200, "days_per_week": 7},
    )
    give_plan(cast.member, cast.clinician)
    login(client, cast.clinician)
    page = client.get(f"/clinic/{cast.member.pk}/").content.decode()
    assert "sets the setting" in page
    assert "Supplements and other substances (adjuncts)" in page
    # Under the adjuncts, once (not again among the other findings).
    assert page.count("St John&#x27;s wort induces CYP3A4: lower clonazepam and alprazolam levels") == 1


def test_the_members_plan_shows_their_adjuncts_and_the_pharmacist_does_not_see_them(client, cast):
    give_intake(cast.member, adjuncts=["melatonin", "cbd"])
    give_plan(cast.member, cast.clinician)
    login(client, cast.member)
    page = client.get(f"/members/{cast.member.pk}/plans/").content.decode()
    assert "Supplements and other things you take" in page
    assert "Melatonin can add to the sleepiness" in page and "CBD can add to the sleepiness" in page
    assert 'id="sources"' in page
    login(client, cast.clinician)
    page = client.get(f"/members/{cast.member.pk}/plans/").content.decode()
    assert "Cannabidiol: somnolence and sedation" in page
    login(client, cast.pharmacist)
    response = client.get(f"/members/{cast.member.pk}/plans/")
    assert response.status_code == 200 and "data-adjuncts" not in response.content.decode()
