"""The web app stores what the engine says as codes and parameters, never as rendered sentences, and renders them
in the reader's language; rows stored before codes still read as they were written."""

from __future__ import annotations

import pytest

from conftest import TODAY, login
from slowtaper import i18n
from slowtaper.programs import alerts
from slowtaper.programs.models import Task
from slowtaper.taper import CheckIn, diary, suggest, triage


def _hold_suggestion(rev):
    # A week after the first cut and no check-in since: the engine suggests holding.
    s = suggest(rev.plan(), [], TODAY)
    assert s.action == "hold"
    return s


def test_a_suggestion_task_stores_the_code_and_renders_the_english_it_used_to_store(approved, cast, client):
    s = _hold_suggestion(approved)
    task = alerts.suggestion(cast.member, s, notify=False)
    task.refresh_from_db()
    top = alerts.task_reasons(s)[0]
    assert task.text == ""
    assert task.messages == [top.headed.to_dict()] and task.messages[0]["code"] == "trend.task-hold"
    # The sentence the task used to store, word for word.
    assert task.display == f"{top.action}: {top.text}"
    body = login(client, cast.clinician).get(f"/clinic/{cast.member.pk}/").content.decode()
    assert "hold: No check-in since the last cut on 2027-02-03" in body


def test_a_stored_task_is_shown_in_the_readers_language(approved, cast, monkeypatch):
    task = alerts.suggestion(cast.member, _hold_suggestion(approved), notify=False)
    task.refresh_from_db()
    fake = {
        "hold: %(reason)s": "mantener: %(reason)s",
        "the last cut": "el último recorte",
        "No check-in since %(what)s on %(day)s: each change needs a symptom check.": (
            "Ningún registro desde %(what)s del %(day)s: cada cambio necesita un control de síntomas."
        ),
    }
    monkeypatch.setattr(i18n, "gettext", lambda text: fake.get(text, text))
    assert task.display == (
        "mantener: Ningún registro desde el último recorte del 2027-02-03: cada cambio necesita un control de síntomas."
    )


def test_a_task_stored_as_text_before_codes_reads_as_it_was(cast):
    # Rows written before codes have their sentence in `text` and no messages; the app no longer writes such rows.
    Task.objects.create(member=cast.member, kind=Task.Kind.SUGGESTION, key="old", text="hold: an old sentence, 50%")
    task = Task.objects.get(key="old")
    assert task.messages == [] and task.display == "hold: an old sentence, 50%"
    with pytest.raises(TypeError):
        Task.raise_(cast.member, Task.Kind.SUGGESTION, "new", "a sentence")  # type: ignore[arg-type]


def test_a_red_flag_task_stores_codes_and_renders_the_english_it_used_to_store(cast):
    flags = dict.fromkeys(diary().red_flags, False)
    result = triage(
        CheckIn(day=TODAY, red_flags={**flags, "oversedation": True, "hopeless": True}),
        region="UK",
        comedications=["opioid"],
    )
    task = alerts.red_flag(cast.member, TODAY.isoformat(), result)
    task.refresh_from_db()
    assert task.text == "" and len(task.messages) == 2
    # The lines the task used to store, built as they were.
    old = []
    for h in result.hits:
        note = h.flag.clinician
        if "opioid" in h.flag.worse_with:
            note += " Co-medications on record: opioid."
        stop = "" if h.evidence.endswith(("?", ".", "!")) else "."
        old.append(f"{h.flag.label} ({TODAY.isoformat()}): {h.evidence}{stop} {note}")
    assert task.display == "\n".join(old)
    # The member's guidance names the region's numbers.
    help_ = diary().emergency["UK"]
    assert result.guidance[-2:] == (
        f"Emergency services: call {help_.number}.",
        f"Crisis support, any hour: {help_.crisis}.",
    )


def test_a_revision_stores_its_summary_as_a_code_and_renders_the_english_it_used_to_store(approved):
    plan = approved.plan()
    assert approved.summary == "" and approved.summary_message["code"] == "plan.summary"
    daily = " + ".join(f"{mg} mg {drug}" for drug, mg in plan.current_daily_mg().items())
    old = f"{plan.request.method} from {daily}/day, {len(plan.steps)} steps, {plan.start} to {plan.end}"
    assert approved.summary_text == old


def test_a_revision_stored_before_codes_keeps_its_summary(approved):
    type(approved).objects.filter(pk=approved.pk).update(
        summary="percent from 1.5 mg clonazepam/day", summary_message=None
    )
    approved.refresh_from_db()
    assert approved.summary_text == "percent from 1.5 mg clonazepam/day"


def test_a_stored_code_the_engine_no_longer_knows_shows_the_code_instead_of_failing(cast):
    task, _new = Task.raise_(cast.member, Task.Kind.SUGGESTION, "gone", [])
    task.messages = [{"code": "trend.retired-rule", "params": {}}]
    assert task.display == "trend.retired-rule"
