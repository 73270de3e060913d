"""The plan builder: where its settings start, and engine messages in the form's words, never the command
line's options."""

from __future__ import annotations

import re
from datetime import time, timedelta
from decimal import Decimal

import pytest

from conftest import TODAY, give_intake, give_plan, login
from slowtaper.programs.forms import PlanBuilderForm
from test_web_clinician import BUILD


def settings(client, member) -> dict:
    response = client.get(f"/members/{member.pk}/plans/new/")
    assert response.status_code == 200
    form = response.context["form"]
    return {name: form[name].value() for name in form.fields}


def test_the_builder_starts_from_the_current_revisions_settings(client, cast):
    give_intake(cast.member)
    give_plan(
        cast.member,
        cast.clinician,
        start=TODAY + timedelta(days=5),
        stabilise_days=10,
        every_days=28,
        step=Decimal(5),
        cut_order="morning-last",
        max_step_percent=Decimal(8),
        min_step_days=21,
        equivalence="vadod",
        micro_steps=True,
        first_cut=False,
    )
    login(client, cast.clinician)
    got = settings(client, cast.member)
    assert got["method"] == "percent" and Decimal(got["step"]) == 5 and got["every_days"] == 28
    assert got["start"] == TODAY + timedelta(days=5) and got["stabilise_days"] == 10
    assert got["cut_order"] == "morning-last" and got["micro_steps"] is True
    assert Decimal(got["max_step_percent"]) == 8 and got["min_step_days"] == 21 and got["equivalence"] == "vadod"
    assert "start from revision 1 (approved)" in client.get(f"/members/{cast.member.pk}/plans/new/").content.decode()


def test_a_plan_under_way_restarts_tomorrow_with_the_stabilisation_it_had_left(client, cast):
    give_intake(cast.member)
    give_plan(cast.member, cast.clinician, start=TODAY - timedelta(days=4), stabilise_days=10, first_cut=False)
    login(client, cast.clinician)
    got = settings(client, cast.member)
    assert got["start"] == TODAY + timedelta(days=1)
    assert got["stabilise_days"] == 5  # 10 days from 6 Feb end on 16 Feb: 5 left from 11 Feb


def test_a_draft_is_the_starting_point_when_nothing_is_approved(client, cast):
    give_intake(cast.member)
    login(client, cast.clinician)
    client.post(f"/members/{cast.member.pk}/plans/new/", {**BUILD, "every_days": "21", "save": "1"})
    assert settings(client, cast.member)["every_days"] == 21


def test_without_a_revision_the_builder_starts_from_defaults_and_the_intake(client, cast):
    give_intake(cast.member, {time(8): Decimal("0.25"), time(21): Decimal("0.5")})
    login(client, cast.clinician)
    got = settings(client, cast.member)
    assert got["method"] == "percent" and got["every_days"] == 14 and got["stabilise_days"] == 14
    assert got["start"] == TODAY + timedelta(days=1) and Decimal(got["max_step_percent"]) == 10
    page = client.get(f"/members/{cast.member.pk}/plans/new/").content.decode()
    assert "no revision yet" in page and "08:00 0.25 mg, 21:00 0.5 mg" in page


def test_the_cut_size_starts_blank_so_each_schedule_uses_its_own_default(client, cast):
    """A prefilled 10 meant 10% for the percent schedule but, once a clinician picked Hyperbolic and left it, 10
    points of modelled occupancy (ten times that method's default), which capped every cut at the maximum."""
    give_intake(cast.member)
    login(client, cast.clinician)
    form = settings(client, cast.member)
    assert form["step"] in (None, "")
    post = {name: ("" if value is None else value) for name, value in form.items() if not isinstance(value, list)}
    post.update({"method": "hyperbolic", "start": (TODAY + timedelta(days=1)).isoformat(), "save": "1"})
    client.post(f"/members/{cast.member.pk}/plans/new/", post)
    rev = cast.member.revisions.get()
    assert rev.data["request"]["step"] in (None, "1") and rev.plan().request.step == 1


MESSAGES = {
    "a cut above the largest allowed": {"step": "30"},
    "a linear schedule with no cut size": {"method": "linear", "step": ""},
    "a linear cut above the largest allowed": {"method": "linear", "step": "0.5"},
    "a switch with no equivalence table": {"method": "crossover", "step": "5"},
    "cuts closer than the shortest step": {"every_days": "10"},
    "steps shorter than half-lives": {"min_step_days": "3"},
    "a switch with liver disease": {"method": "crossover", "equivalence": "ashton", "liver_disease": "on"},
}


@pytest.mark.parametrize("case", MESSAGES)
def test_no_message_in_the_builder_names_a_command_line_option(client, cast, approved, case):
    login(client, cast.clinician)
    for htmx in ({"HX-Request": "true"}, {}):
        response = client.post(f"/members/{cast.member.pk}/plans/new/", {**BUILD, **MESSAGES[case]}, headers=htmx)
        body = response.content.decode()
        shown = " ".join(re.findall(r'class="msg error"[^>]*>(.*?)</div>', body, re.S))
        shown += " ".join(re.findall(r"<li>(.*?)</li>", body, re.S))
        assert response.status_code == (200 if htmx else 400) and shown, case  # htmx swaps only a 200
        assert "--" not in body.replace("<!--", "").replace("-->", ""), shown
        assert "“" in shown or "half-lives" in shown, shown  # the message names the field to change


def test_engine_options_become_the_fields_a_clinician_sets():
    said = PlanBuilderForm.words(
        "choose a smaller --step or raise --max-step; use a longer --every (or lower --min-step); "
        'record an override with --override "reason"; choose with --equivalence; e.g. --step 0.125mg; --ec50'
    )
    assert "--" not in said
    assert "“Cut size”" in said and "“Largest cut allowed (%)”" in said and "“Days between cuts”" in said
    assert "“Shortest step allowed (days)”" in said and "“Override reason”" in said
    assert "“Diazepam equivalence table”" in said and "a “Cut size” of 0.125 mg" in said


def test_field_labels_and_help_speak_clinical_words_not_option_names(client, cast, approved):
    login(client, cast.clinician)
    body = client.get(f"/members/{cast.member.pk}/plans/new/").content.decode()
    assert "--" not in body.replace("<!--", "").replace("-->", "")
    assert "percent:" not in body and "Schedule" in body and "Guardrails" in body
    assert "Ashton manual: 0.5 mg = 10 mg diazepam" in body


def test_the_revision_page_names_fields_not_options(client, cast, approved):
    login(client, cast.clinician)
    body = client.get(f"/members/{cast.member.pk}/plans/1/").content.decode()
    assert "Assumptions and sources" in body and "diazepam equivalence" in body
    assert "--" not in body.replace("<!--", "").replace("-->", "")


# --- the person and the switch (issue 14) ----------------------------------------------------------------------


def test_the_builder_takes_age_and_liver_disease_from_the_intake(client, cast):
    give_intake(cast.member, age=71, conditions=["liver"])
    login(client, cast.clinician)
    got = settings(client, cast.member)
    assert got["age"] == 71 and got["liver_disease"] is True
    assert got["switch_order"] == "evening-first" and got["slow_end"] is False


def test_a_clinician_records_why_a_switch_goes_ahead_with_liver_disease_and_the_revision_shows_it(client, cast):
    give_intake(cast.member, conditions=["liver"])
    login(client, cast.clinician)
    url = f"/members/{cast.member.pk}/plans/new/"
    switch = {**BUILD, "method": "crossover", "equivalence": "ashton", "liver_disease": "on", "age": "45"}
    refused = client.post(url, switch).content.decode()
    assert "specialist advice" in refused and "“Switch override reason”" in refused
    reason = "hepatology advice 3 Feb: diazepam acceptable"
    response = client.post(url, {**switch, "crossover_override": reason, "slow_end": "on", "save": "1"})
    assert response.status_code == 302
    from slowtaper.programs.models import PlanRevision

    rev = PlanRevision.objects.get(member=cast.member)
    request = rev.data["request"]
    assert request["liver_disease"] is True and request["age"] == 45 and request["slow_end"] is True
    assert request["crossover_override"] == reason and request["switch_order"] == "evening-first"
    page = client.get(response["Location"]).content.decode()
    assert "LIVER DISEASE" in page and reason in page
    assert "largest drop in modelled receptor occupancy" in page


def test_a_members_proposal_keeps_the_liver_disease_from_the_intake(client, cast):
    give_intake(cast.member, conditions=["liver"])
    login(client, cast.member)
    url = f"/members/{cast.member.pk}/plans/new/"
    page = client.get(url).content.decode()
    assert 'name="liver_disease"' not in page and 'name="crossover_override"' not in page
    # A posted value is ignored: the request carries the intake's answer.
    form = PlanBuilderForm(
        {**BUILD, "method": "crossover", "liver_disease": "", "age": "30"},
        region="US",
        drug="clonazepam",
        clinician=False,
        person={"age": 45, "liver_disease": True},
    )
    assert form.is_valid(), form.errors
    request = form.request("clonazepam", ((time(8), Decimal(1)),), "US")
    assert request.liver_disease is True and request.age == 45


def test_the_builder_keeps_one_liquid_unless_the_clinician_allows_two_and_then_warns(client, cast):
    # AU defaults hold both the 0.1 mg/mL suspension and the 2.5 mg/mL drops (issue 14).
    cast.member.region = "AU"
    cast.member.save(update_fields=["region"])
    give_intake(cast.member)
    login(client, cast.clinician)
    url = f"/members/{cast.member.pk}/plans/new/"
    one = client.post(url, BUILD, headers={"HX-Request": "true"}).content.decode()
    assert "One clonazepam liquid per plan" in one and "TWO STRENGTHS" not in one
    assert "drops of 2.5 mg/mL drops" not in one
    two = client.post(url, {**BUILD, "mix_liquids": "on"}, headers={"HX-Request": "true"}).content.decode()
    assert "TWO STRENGTHS OF ONE LIQUID" in two and "drops of 2.5 mg/mL drops" in two
