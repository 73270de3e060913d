"""What the web app writes for people to read later (task texts, notes on the revisions it makes) is stored as a
code and parameters and read in each reader's language; the exports a member reads are in their language; the
builder names its fields inside whole sentences of one language."""

from __future__ import annotations

import io
import json
from datetime import date

import pytest
from django.utils import translation
from icalendar import Calendar
from pypdf import PdfReader

from conftest import login
from slowtaper.programs import alerts
from slowtaper.programs.forms import PlanBuilderForm
from slowtaper.programs.models import HoldRequest, Intake, Task
from slowtaper.said import say, stored_text
from slowtaper.taper import GuardrailViolation, Message, fill_periods


@pytest.fixture(autouse=True)
def _english_after():
    """A request from someone who reads Spanish leaves Spanish active in this thread; later tests expect English."""
    yield
    translation.deactivate()


def _words(pdf: bytes) -> str:
    return " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())


def test_a_hold_task_is_stored_as_a_code_and_each_reader_sees_it_in_their_language(client, cast, approved):
    hold = HoldRequest.objects.create(member=cast.member, days=14, message="no duermo")
    task = alerts.hold_requested(cast.member, hold)
    task.refresh_from_db()
    # No sentence in the database: the code and what fills it in, the member's own words as they wrote them.
    assert task.text == ""
    assert task.messages == [{"code": "task.hold-wrote", "params": {"days": 14, "message": "no duermo"}}]
    login(client, cast.clinician)  # reads English
    page = client.get(f"/clinic/{cast.member.pk}/").content.decode()
    assert "Asks to stay on the current dose for 14 more days. They wrote: “no duermo”" in page
    cast.clinician.locale = "es"  # the same task, read by someone who reads Spanish
    cast.clinician.save(update_fields=["locale"])
    page = client.get(f"/clinic/{cast.member.pk}/").content.decode()
    assert "Pide seguir con la dosis actual 14 días más. Escribió: «no duermo»" in page
    assert "Asks to stay" not in page


def test_a_note_the_app_writes_on_a_revision_reads_in_english_for_the_clinician_and_spanish_for_the_member(
    client, cast, approved
):
    from slowtaper.programs.views import _hold_after

    new, days = _hold_after(cast.member, cast.clinician, date(2027, 2, 10), "hold")
    assert new.note == "" and new.note_message["code"] == "revision.decided-hold"
    assert new.approval_reason == "" and new.approval_message["code"] == "revision.decided-reason"
    url = f"/members/{cast.member.pk}/plans/{new.number}/"
    login(client, cast.clinician)
    english = client.get(url).content.decode()
    assert f"The clinician decided to hold the dose on Feb. 10, 2027: the next cut waits {days} more days." in english
    cast.member.locale = "es"
    cast.member.save(update_fields=["locale"])
    login(client, cast.member)
    spanish = client.get(url).content.decode()
    assert (
        f"El 10 de febrero de 2027, el profesional clínico decidió mantener la dosis: la próxima reducción espera "
        f"{days} días más." in spanish
    )
    assert "Dosis mantenida tras la decisión del profesional clínico del 10 de febrero de 2027." in spanish


def test_intake_changes_and_board_crisis_tasks_are_codes_in_each_language(cast):
    earlier = Intake.objects.create(
        member=cast.member,
        drug="clonazepam",
        regimen={"08:00": "0.5"},
        answers={"pregnant": False},
        setting="self",
        risk="low",
    )
    later = Intake.objects.create(
        member=cast.member,
        drug="clonazepam",
        regimen={"08:00": "0.25", "22:00": "0.5"},
        answers={"pregnant": True},
        setting="self",
        risk="low",
    )
    task = alerts.intake_changed(cast.member, later, later.changes_since(earlier), "0.75")
    assert task.text == "" and all("code" in m for m in task.messages)
    with translation.override("en"):
        assert task.display.splitlines() == [
            "Doses: 08:00 0.5 mg (0.5 mg a day) → 08:00 0.25 mg, 22:00 0.5 mg (0.75 mg a day).",
            "Pregnant: yes (was no).",
            "The approved plan starts from 0.75 mg a day; it has not been changed.",
        ]
    with translation.override("es"):
        assert task.display.splitlines() == [
            "Dosis: 08:00 0,5 mg (0,5 mg al día) → 08:00 0,25 mg, 22:00 0,5 mg (0,75 mg al día).",
            "Embarazo: sí (antes, no).",
            "El plan aprobado parte de 0,75 mg al día; no se ha cambiado.",
        ]
    from slowtaper.community.board import tell_clinician

    tell_clinician(cast.member, "board-post-1", ["suicide", "seizure"], "post", [])
    crisis = Task.objects.get(key="board-post-1")
    with translation.override("es"):
        assert crisis.display.startswith("Una publicación de este miembro en el foro habla de suicidio o autolesiones")


def test_an_unknown_code_or_a_missing_parameter_is_refused_when_written():
    with pytest.raises(ValueError):
        say("task.nothing-like-this")
    with pytest.raises(ValueError):
        say("task.hold")  # lacks days
    with translation.override("es"):
        assert stored_text(say("task.hold", days=3)) == "Pide seguir con la dosis actual 3 días más."


def test_the_builder_names_its_fields_inside_whole_spanish_sentences():
    refusal = Message("guardrail.percent-step", {"step": "30", "limit": "10", "most": "25"})
    with translation.override("en"):
        english = PlanBuilderForm.said(refusal)
    assert english == (
        "A 30% step is larger than the 10% maximum per step: choose a smaller “Cut size” or raise "
        "“Largest cut allowed (%)” (at most 25%)"
    )
    with translation.override("es"):
        spanish = PlanBuilderForm.said(refusal)
    assert spanish == (
        "Un paso del 30 % supera el máximo de 10 % por paso: elija un valor menor en el campo “Tamaño de la "
        "reducción” o suba el campo “Reducción máxima permitida (%)” (como mucho 25 %)"
    )
    # A nested hint that names an option is said the same way inside its refusal.
    both = Message(
        "guardrail.crossover-both",
        {
            "first": Message("guardrail.crossover-liver", {"drug": "alprazolam"}),
            "second": Message("guardrail.percent-step", {"step": "30", "limit": "10", "most": "25"}),
        },
    )
    with translation.override("es"):
        said = PlanBuilderForm.said(GuardrailViolation(both, rule="x").message)
    assert "--" not in said and "en el campo “Motivo para saltarse el límite del cambio”" in said


def test_the_pharmacy_sheet_is_in_the_members_language_read_back_by_pypdf(client, cast, approved):
    cast.member.locale = "es"
    cast.member.save(update_fields=["locale"])
    period = fill_periods(approved.plan(), 28)[1]
    login(client, cast.pharmacist)  # reads English; the sheet goes with the member's medicine
    text = _words(client.get(f"/pharmacy/{cast.member.pk}/fills/{period.start.isoformat()}.pdf").content)
    assert "Hoja de dispensación" in text and "Para entregar" in text and "Dosis de este periodo" in text
    assert "comprimido de 0,5 mg (se parte en mitades)" in text  # the product, how it divides
    assert "52,5 comprimidos 53 comprimidos" in text  # used, then whole tablets to hand over
    assert "uso exacto 46,2 mL" in text  # a liquid with no bottle size: the exact volume
    assert "tablets" not in text and "Dispensing sheet" not in text
    assert f"del {period.start.day} de" in text  # dates as Spanish writes them


def test_the_printed_plan_assumptions_and_fills_and_the_calendar_are_in_spanish(client, cast, approved):
    cast.member.locale = "es"
    cast.member.save(update_fields=["locale"])
    login(client, cast.clinician)
    text = _words(client.get(f"/members/{cast.member.pk}/export/pdf/").content)
    assumptions = text.split("Supuestos y sus fuentes")[1].split("Todos los pasos")[0]
    assert "equivalencia con diazepam" in assumptions and "se puede dejar desde" in assumptions
    assert "0,5 mg de clonazepam = 10 mg de diazepam" in assumptions  # the engine's value, rendered from its code
    fills = text.split("Entrega")[1]
    assert "comprimidos" in fills and "tablets" not in fills
    cal = Calendar.from_ical(client.get(f"/members/{cast.member.pk}/export/ics/").content)
    described = {str(ev["DESCRIPTION"]) for ev in cal.walk("VEVENT")}
    assert any("comprimido" in d and "(0,5 mg)" in d for d in described), described


def test_the_fhir_record_speaks_the_members_language_and_says_so(client, cast, approved):
    from fhir.resources.bundle import Bundle

    cast.member.locale = "es"
    cast.member.save(update_fields=["locale"])
    login(client, cast.clinician)
    raw = json.loads(client.get(f"/members/{cast.member.pk}/export/fhir/").content)
    bundle = Bundle.model_validate(raw)  # read back by fhir.resources, independent of what wrote it
    assert bundle.language == "es"
    request = next(e.resource for e in bundle.entry if e.resource.__resource_type__ == "MedicationRequest")
    texts = [d.text for d in request.dosageInstruction]
    assert texts and all(" a las " in t for t in texts) and not any(" at " in t for t in texts)
    assert request.note[0].text.startswith(f"Versión {approved.number} aprobada:")


def test_the_pharmacy_page_shows_supplies_in_the_pharmacists_language(client, cast, approved):
    cast.pharmacist.locale = "es"
    cast.pharmacist.save(update_fields=["locale"])
    login(client, cast.pharmacist)
    page = client.get(f"/pharmacy/{cast.member.pk}/").content.decode()
    assert "52,5 comprimidos" in page and "comprimido de 0,5 mg" in page and "tablets" not in page


def test_every_engine_message_that_names_an_option_has_a_whole_builder_sentence_with_the_same_values():
    """A new engine message naming a command-line option needs its builder sentence here, or the builder would
    patch a field's label into a translated sentence."""
    import re

    from slowtaper.taper import MESSAGE_TEMPLATES

    def names(template):
        return set(re.findall(r"%\((\w+)\)", template))

    naming = {code for code, template in MESSAGE_TEMPLATES.items() if re.search(r"--[a-z]", template)}
    assert naming and naming - PlanBuilderForm.COMMAND_LINE_ONLY <= set(PlanBuilderForm.SENTENCES)
    for code, sentence in PlanBuilderForm.SENTENCES.items():
        values = {n for n in names(sentence) if not n.startswith("field_") and n != "crossover"}
        assert values == names(MESSAGE_TEMPLATES[code]), code
        assert {n[6:] for n in names(sentence) if n.startswith("field_")} <= set(PlanBuilderForm.base_fields), code
