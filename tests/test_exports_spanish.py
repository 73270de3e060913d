"""Every export a Spanish member's plan goes out as (the printed plan, the pharmacy's dispensing sheet, the
calendar and the FHIR record) is read back with an independent reader (pypdf, icalendar, fhir.resources) and
checked for English sentences: none may remain, beyond names (drugs, products, helplines, cited sources) and the
questionnaire items that wait for a validated translation."""

from __future__ import annotations

import io
import json
import re

import pytest
from django.utils import translation
from fhir.resources.bundle import Bundle
from icalendar import Calendar
from pypdf import PdfReader

from conftest import give_intake, give_plan, login
from slowtaper.taper import catalogue, fill_periods

# Words that are English and not Spanish: one of them between Spanish words means an English sentence or
# fragment was left behind.
ENGLISH_WORDS = {
    "the", "of", "and", "with", "for", "from", "to", "at", "on", "is", "are", "this", "that", "your", "you",
    "per", "day", "days", "used", "left", "over", "tablet", "tablets", "bottle", "bottles", "pack", "packs",
    "drops", "round", "up", "not", "or", "each", "dose", "doses", "step", "steps", "taper", "approved",
    "unscored", "split", "splits", "halves", "quarters", "within", "measured", "syringe", "exact",
}  # fmt: skip

# Names a Spanish text keeps: the cited sources (bibliographic references stay as published) and the helplines.
KEPT = ["Suicide & Crisis Lifeline", "CIWA-B"]


@pytest.fixture(autouse=True)
def _english_after():
    yield
    translation.deactivate()


def english_words(text: str) -> set[str]:
    """The English words of `text` once names and citations are taken out."""
    for kept in [*(s.citation for s in catalogue().sources.values()), *KEPT]:
        text = text.replace(kept, " ")
    return {w for w in re.findall(r"[A-Za-z]+", text) if w.lower() in ENGLISH_WORDS}


def _pdf_text(pdf: bytes) -> str:
    return " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())


@pytest.fixture
def spanish(cast):
    """A Spanish member of 70 on a slower-near-the-end plan (so the plan carries the older adult's notes and
    the stopping threshold among its assumptions), with a liquid in later fills."""
    give_intake(cast.member, age=70)
    give_plan(cast.member, cast.clinician, age=70, slow_end=True)
    cast.member.locale = "es"
    cast.member.save(update_fields=["locale"])
    return cast


def test_the_helper_finds_english_and_lets_names_and_spanish_through():
    assert english_words("52,5 comprimidos, 53 tablets left over") == {"tablets", "left", "over"}
    assert english_words("llame o escriba al 988 (988 Suicide & Crisis Lifeline)") == set()
    assert english_words("0,125 mg/day clonazepam") == {"day"}


def test_the_printed_plan_has_no_english_left(client, spanish):
    login(client, spanish.clinician)
    text = _pdf_text(client.get(f"/members/{spanish.member.pk}/export/pdf/").content)
    assert "Supuestos y sus fuentes" in text and "persona mayor" in text
    assert english_words(text) == set(), text


def test_the_dispensing_sheets_have_no_english_left(client, spanish):
    login(client, spanish.pharmacist)  # reads English; the sheet goes with the member's medicine
    from slowtaper.programs.models import approved_revision

    periods = fill_periods(approved_revision(spanish.member).plan(), 28)
    for period in (periods[0], periods[-1]):  # tablets first, the liquid at the end
        pdf = client.get(f"/pharmacy/{spanish.member.pk}/fills/{period.start.isoformat()}.pdf").content
        text = _pdf_text(pdf)
        assert "Hoja de dispensación" in text
        assert english_words(text) == set(), text


def test_the_calendar_and_the_fhir_record_have_no_english_left(client, spanish):
    login(client, spanish.clinician)
    cal = Calendar.from_ical(client.get(f"/members/{spanish.member.pk}/export/ics/").content)
    texts = [str(cal["X-WR-CALNAME"])]
    for event in cal.walk("VEVENT"):
        texts += [str(event["SUMMARY"]), str(event["DESCRIPTION"])]
    assert english_words(" ".join(texts)) == set(), texts
    bundle = Bundle.model_validate(json.loads(client.get(f"/members/{spanish.member.pk}/export/fhir/").content))
    shown = []
    for entry in bundle.entry:
        resource = entry.resource
        if resource.__resource_type__ == "MedicationRequest":
            shown += [d.text for d in resource.dosageInstruction] + [n.text for n in resource.note]
        elif resource.__resource_type__ == "Observation":
            shown.append(resource.code.text)
    assert shown and english_words(" ".join(shown)) == set(), shown


def test_a_product_described_inside_an_engine_message_is_in_the_readers_language():
    from slowtaper.i18n import engine_text
    from slowtaper.taper import Message

    product = catalogue().find_products("clonazepam", "US", ["0.5 mg tablet"])[0]
    assert product.describe() == "0.5 mg tablet (halves)"  # the English, as before
    refusal = Message("guardrail.exact-fraction", {"count": "0.25", "product": product.describe_message()})
    assert refusal.english() == "0.25 of a 0.5 mg tablet (halves) is not an allowed fraction"
    with translation.override("es"):
        spanish = engine_text(refusal)
    assert "comprimido de 0,5 mg (se parte en mitades)" in spanish and english_words(spanish) == set(), spanish
