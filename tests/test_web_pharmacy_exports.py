"""The pharmacist's fills and sheets, and the member's exports: PDF, CSV, iCalendar and a FHIR Bundle."""

from __future__ import annotations

import io
import json
from zoneinfo import ZoneInfo

from pypdf import PdfReader

from conftest import TODAY, login
from slowtaper.checkins.models import CheckInRecord
from slowtaper.programs.models import Fill
from slowtaper.taper import fill_periods, instrument


def test_fill_periods_list_supplies_and_can_be_marked_dispensed_once(client, cast, approved):
    periods = fill_periods(approved.plan(), 28)
    login(client, cast.pharmacist)
    body = client.get(f"/pharmacy/{cast.member.pk}/").content.decode()
    for line in periods[0].lines:
        assert line.supply in body
    start = periods[0].start.isoformat()
    assert client.post(f"/pharmacy/{cast.member.pk}/dispensed/", {"start": start}).status_code == 302
    assert client.post(f"/pharmacy/{cast.member.pk}/dispensed/", {"start": start}).status_code == 302
    fill = Fill.objects.get()
    assert fill.dispensed_by == cast.pharmacist and fill.revision == approved
    assert "Dispensed by Pharmacist" in client.get(f"/pharmacy/{cast.member.pk}/").content.decode()


def test_the_next_fill_says_what_changed_since_the_last(client, cast, approved):
    periods = fill_periods(approved.plan(), 28)
    login(client, cast.pharmacist)
    client.post(f"/pharmacy/{cast.member.pk}/dispensed/", {"start": periods[0].start.isoformat()})
    body = client.get(f"/pharmacy/{cast.member.pk}/").content.decode()
    assert "Changed since the last fill" in body
    assert "last fill," in body


def test_a_fill_that_is_not_in_the_plan_is_refused(client, cast, approved):
    login(client, cast.pharmacist)
    client.post(f"/pharmacy/{cast.member.pk}/dispensed/", {"start": "2027-01-28"})
    client.post(f"/pharmacy/{cast.member.pk}/dispensed/", {"start": "not a date"})
    assert Fill.objects.count() == 0
    assert client.get(f"/pharmacy/{cast.member.pk}/fills/2027-01-28.pdf").status_code == 404


def test_the_dispensing_sheet_pdf_lists_supplies_and_doses(client, cast, approved):
    period = fill_periods(approved.plan(), 28)[0]
    login(client, cast.pharmacist)
    response = client.get(f"/pharmacy/{cast.member.pk}/fills/{period.start.isoformat()}.pdf")
    assert response["Content-Type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert "Dispensing sheet" in text and "Member" in text
    words = " ".join(text.split())  # a long supply wraps inside its table cell
    for line in period.lines:
        assert line.supply in words


def test_csv_and_ics_exports(client, cast, approved):
    login(client, cast.member)
    csv = client.get(f"/members/{cast.member.pk}/export/csv/").content.decode()
    assert csv.startswith("date,time,drug,mg,how,step,kind")
    assert "2027-02-10,08:00,clonazepam" in csv
    ics = client.get(f"/members/{cast.member.pk}/export/ics/").content.decode()
    assert "BEGIN:VCALENDAR" in ics and "TZID=America/New_York" in ics
    assert "SUMMARY:Dose time" in ics and "clonazepam" not in ics.split("DESCRIPTION")[0]
    # The member's zone as yearly rules every calendar reader applies (tests/test_calendar_zones.py), no RDATE.
    assert "RRULE:FREQ=YEARLY;BYDAY=2SU;BYMONTH=3" in ics and "RDATE" not in ics


def test_pdf_export(client, cast, approved):
    login(client, cast.member)
    response = client.get(f"/members/{cast.member.pk}/export/pdf/")
    assert response["Content-Type"] == "application/pdf"
    assert "taper plan" in PdfReader(io.BytesIO(response.content)).pages[0].extract_text().lower()


def test_fhir_bundle_validates_and_carries_steps_and_scores(client, cast, approved):
    from fhir.resources.bundle import Bundle

    items = [i for i in instrument("ciwa-b").items if i.rater == "self"]
    CheckInRecord.objects.create(
        member=cast.member,
        day=TODAY,
        data={"date": TODAY.isoformat(), "symptoms": {"anxiety": 2}, "ciwa_b": {i.id: 1 for i in items}},
    )
    login(client, cast.clinician)
    response = client.get(f"/members/{cast.member.pk}/export/fhir/")
    assert response["Content-Type"] == "application/fhir+json"
    raw = json.loads(response.content)
    bundle = Bundle.model_validate(raw)
    kinds = [e.resource.get_resource_type() for e in bundle.entry]
    assert kinds.count("MedicationRequest") == 1
    assert kinds.count("QuestionnaireResponse") == 1
    assert kinds.count("Observation") == 2
    mr = next(e.resource for e in bundle.entry if e.resource.get_resource_type() == "MedicationRequest")
    plan = approved.plan()
    assert sorted({d.sequence for d in mr.dosageInstruction}) == list(range(1, len(plan.steps) + 1))
    first = mr.dosageInstruction[0]
    assert first.timing.repeat.timeOfDay[0].isoformat() == "08:00:00"
    assert str(first.timing.repeat.boundsPeriod.start)[:10] == plan.steps[0].start.isoformat()
    ciwa = next(
        e.resource for e in bundle.entry if e.resource.get_resource_type() == "Observation" and e.resource.valueInteger
    )
    assert ciwa.valueInteger == len(items)


def test_a_fill_dispensed_before_a_hold_is_flagged_when_the_plan_changes(client, cast, approved):
    from slowtaper.programs.models import HoldRequest, PlanRevision

    periods = fill_periods(approved.plan(), 28)
    current = next(p for p in periods if p.start <= TODAY < p.end)
    login(client, cast.pharmacist)
    client.post(f"/pharmacy/{cast.member.pk}/dispensed/", {"start": current.start.isoformat()})
    assert "The plan changed after this fill" not in client.get(f"/pharmacy/{cast.member.pk}/").content.decode()
    hold = HoldRequest.objects.create(member=cast.member, days=14)
    login(client, cast.clinician)
    client.post(f"/clinic/{cast.member.pk}/holds/{hold.pk}/", {"decision": "approve", "days": "14", "response": "ok"})
    assert PlanRevision.objects.get(member=cast.member, status="approved").number == 2
    login(client, cast.pharmacist)
    assert "The plan changed after this fill" in client.get(f"/pharmacy/{cast.member.pk}/").content.decode()
    client.post(f"/pharmacy/{cast.member.pk}/dispensed/", {"start": current.start.isoformat()})
    assert Fill.objects.count() == 2
    assert "The plan changed after this fill" not in client.get(f"/pharmacy/{cast.member.pk}/").content.decode()


def _size_mm(pdf: bytes) -> tuple[int, int]:
    box = PdfReader(io.BytesIO(pdf)).pages[0].mediabox
    return round(float(box.width) * 25.4 / 72), round(float(box.height) * 25.4 / 72)


def _words(pdf: bytes) -> str:
    return " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())


def test_the_pharmacist_sees_dose_changes_only_on_fills_where_a_dose_changes(client, cast):
    from conftest import give_intake, give_plan

    give_intake(cast.member)
    rev = give_plan(cast.member, cast.clinician, every_days=56)  # cuts 8 weeks apart: some fills change nothing
    periods = fill_periods(rev.plan(), 28)
    changing = [p for p in periods if p.dose_changes]
    assert 0 < len(changing) < len(periods)
    login(client, cast.pharmacist)
    body = client.get(f"/pharmacy/{cast.member.pk}/").content.decode()
    assert body.count("Dose changes in this period") == len(changing)
    quiet = next(p for p in periods if not p.dose_changes)
    sheet = _words(client.get(f"/pharmacy/{cast.member.pk}/fills/{quiet.start.isoformat()}.pdf").content)
    assert "No dose changes in this period." in sheet


def test_printed_sheets_follow_the_members_country_and_name_who_approved(client, cast, approved):
    member = cast.member
    period = fill_periods(approved.plan(), 28)[0]
    login(client, cast.pharmacist)
    us_sheet = client.get(f"/pharmacy/{member.pk}/fills/{period.start.isoformat()}.pdf").content
    assert _size_mm(us_sheet) == (216, 279)
    member.region, member.time_zone = "UK", "Europe/London"
    member.save()
    sheet = client.get(f"/pharmacy/{member.pk}/fills/{period.start.isoformat()}.pdf").content
    assert _size_mm(sheet) == (210, 297)
    text = _words(sheet)
    approved_at = approved.approved_at.astimezone(ZoneInfo("Europe/London"))
    assert f"approved by Clinician on {approved_at.day} {approved_at:%b %Y} at {approved_at:%H:%M}" in text
    assert f"Fill period {period.start.day} {period.start:%b %Y} up to" in text
    # Steps carry their place in the whole plan: the stabilisation is step 1, the first cut step 2.
    assert "1 (stabilise)" in text and " 2 " in text
    login(client, member)
    plan_pdf = client.get(f"/members/{member.pk}/export/pdf/").content
    assert _size_mm(plan_pdf) == (210, 297)
    first = " ".join(PdfReader(io.BytesIO(plan_pdf)).pages[0].extract_text().split())
    assert f"For {member}. Approved by Clinician on {approved_at.day} {approved_at:%b %Y}" in first


def test_fhir_sequences_follow_the_steps_even_through_a_hold(client, cast):
    """A hold shares its reduction's number in the engine; in FHIR two steps with one sequence would read as
    concurrent instructions, so each step has its own, in order, and its dates bound it."""
    from fhir.resources.bundle import Bundle

    from conftest import give_intake, give_plan

    give_intake(cast.member)
    rev = give_plan(cast.member, cast.clinician, holds=((1, 14),))
    plan = rev.plan()
    assert len({s.number for s in plan.steps}) < len(plan.steps)  # the hold repeats a number
    login(client, cast.clinician)
    bundle = Bundle.model_validate(json.loads(client.get(f"/members/{cast.member.pk}/export/fhir/").content))
    mr = next(e.resource for e in bundle.entry if e.resource.get_resource_type() == "MedicationRequest")
    by_sequence: dict[int, set[str]] = {}
    for d in mr.dosageInstruction:
        by_sequence.setdefault(d.sequence, set()).add(str(d.timing.repeat.boundsPeriod.start)[:10])
    assert sorted(by_sequence) == list(range(1, len(plan.steps) + 1))
    assert [min(v) for _k, v in sorted(by_sequence.items())] == [s.start.isoformat() for s in plan.steps]


def test_the_fills_to_act_on_come_first_and_the_rest_are_folded(client, cast, approved):
    page = login(client, cast.pharmacist).get(f"/pharmacy/{cast.member.pk}/").content.decode()
    head, _sep, folded = page.partition("<details>")
    assert head.count('name="start"') == 2  # the next two fills to hand over, with their buttons
    assert "later fills</summary>" in folded and folded.count('name="start"') >= 1


def test_a_fill_stores_amounts_not_sentences_and_its_changes_read_in_the_pharmacists_language(client, cast, approved):
    from django.utils import translation

    periods = fill_periods(approved.plan(), 28)
    login(client, cast.pharmacist)
    client.post(f"/pharmacy/{cast.member.pk}/dispensed/", {"start": periods[0].start.isoformat()})
    fill = Fill.objects.get()
    # Each product's id and amounts: no English to read back in another language.
    assert fill.lines == [
        {"product": "clonazepam-tablet-1mg-us", "tablets": "7"},
        {"product": "clonazepam-tablet-0.5mg-us", "tablets": "56"},
        {"product": "clonazepam-suspension-0.1mg-ml-us", "ml": "29.4"},
    ]
    english = client.get(f"/pharmacy/{cast.member.pk}/").content.decode()
    assert "0.5 mg tablet: 56 tablets last fill, 52.5 tablets now" in english
    assert "1 mg tablet: no longer used" in english
    assert "The plan changed after this fill" not in english
    cast.pharmacist.locale = "es"
    cast.pharmacist.save(update_fields=["locale"])
    spanish = client.get(f"/pharmacy/{cast.member.pk}/").content.decode()
    translation.deactivate()
    assert "Cambiado desde la última dispensación" in spanish
    assert "comprimido de 0,5 mg: 56 comprimidos en la última dispensación, 52,5 comprimidos ahora" in spanish
    assert "comprimido de 1 mg: ya no se usa" in spanish
    assert "last fill" not in spanish and "tablets" not in spanish and "no longer" not in spanish


def test_a_fill_stored_in_english_before_amounts_shows_its_own_text_and_still_matches(client, cast, approved):
    periods = fill_periods(approved.plan(), 28)
    old = [{"product": ln.product.label, "used": ln.used, "supply": ln.supply} for ln in periods[0].lines]
    Fill.objects.create(
        member=cast.member,
        revision=approved,
        start=periods[0].start,
        end=periods[0].end,
        lines=old,
        dispensed_by=cast.pharmacist,
    )
    login(client, cast.pharmacist)
    body = client.get(f"/pharmacy/{cast.member.pk}/").content.decode()
    assert "The plan changed after this fill" not in body  # the same supply, stored the old way
    assert "0.5 mg tablet: 56 tablets last fill, 52.5 tablets now" in body  # its stored words
    assert "1 mg tablet: no longer used" in body
