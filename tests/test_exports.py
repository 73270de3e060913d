"""CSV, iCalendar (across daylight saving), plots and PDF."""

import csv
import io
import re
from datetime import date, datetime, time, timedelta
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from conftest import make_request
from slowtaper import exports
from slowtaper.taper import InvalidInput, Message, build_plan


@pytest.fixture(scope="module")
def plan():
    # Starts in winter and runs through the March daylight-saving change in New York and London.
    return build_plan(make_request(start=date(2027, 2, 1), stabilise_days=28))


def test_csv_has_one_row_per_day_per_dose_time(plan):
    rows = list(csv.DictReader(io.StringIO(exports.to_csv(plan))))
    days = (plan.end - plan.start).days
    assert len(rows) == sum(len(s.doses) * s.days for s in plan.steps)
    assert rows[0]["date"] == "2027-02-01" and rows[0]["time"] == "08:00"
    assert {r["date"] for r in rows} == {(plan.start + timedelta(days=i)).isoformat() for i in range(days)}
    assert (
        sum(D(r["mg"]) for r in rows if r["date"] == "2027-03-01")
        == plan.step_on(date(2027, 3, 1)).daily_mg()["clonazepam"]
    )


def test_ics_keeps_local_times_across_daylight_saving_and_names_no_drug(plan):
    data = exports.to_ics(plan, "America/New_York")
    assert b"clonazepam" not in data.lower()
    cal = Calendar.from_ical(data)
    assert any(c.name == "VTIMEZONE" for c in cal.walk())
    zone = ZoneInfo("America/New_York")
    starts = []
    for ev in cal.walk("VEVENT"):
        assert str(ev["SUMMARY"]) == "Dose time"
        start = ev["DTSTART"].dt
        count = ev["RRULE"]["COUNT"][0] if "RRULE" in ev else 1
        for k in range(count):
            local = datetime.combine(start.date() + timedelta(days=k), start.timetz().replace(tzinfo=None), tzinfo=zone)
            starts.append(local)
    morning = sorted(s for s in starts if s.hour == 8)
    before = next(s for s in morning if s.date() == date(2027, 3, 13))
    after = next(s for s in morning if s.date() == date(2027, 3, 15))
    assert before.utcoffset() != after.utcoffset()  # DST began on 14 March 2027
    assert {s.hour for s in starts} == {8, 22}
    assert len(starts) == sum(len(s.doses) * s.days for s in plan.steps)


def test_ics_rejects_unknown_zone(plan):
    with pytest.raises(InvalidInput, match="time zone"):
        exports.to_ics(plan, "Mars/Olympus")


def test_plots_are_real_images(plan):
    png = exports.plot(plan, "png")
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000
    svg = exports.plot(plan, "svg")
    assert b"<svg" in svg[:500] and b"modelled" in svg
    with pytest.raises(InvalidInput):
        exports.plot(plan, "gif")


def test_plot_for_an_unmodelled_drug_still_shows_doses():
    temazepam = build_plan(
        make_request(
            drug="temazepam",
            regimen=((time(22), D(20)),),
            region="UK",
            final_dose_mg=D(20),
            stop_override="test: a short plan",
        )
    )
    assert exports.plot(temazepam, "png")[:4] == b"\x89PNG"


def test_pdf_contains_the_plan_its_sources_and_how_to_measure(plan):
    pdf = exports.to_pdf(plan)  # no approval given: a proposal
    assert "Not approved" in _pages(pdf)[0]
    assert pdf[:5] == b"%PDF-"
    from pypdf import PdfReader

    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "clinician decides" in text
    assert "08:00 clonazepam 0.8 mg: 1½ tablets of 0.5 mg + 0.5 mL of 0.1 mg/mL suspension (1 mL oral syringe)" in (
        " ".join(text.split())
    )
    assert "Dispensing" in text and "Ashton" in text
    assert "the last dose (0.09 mg clonazepam a day) is on Jun 18, 2028" in " ".join(text.split())
    assert "modelled" in text.lower()


# --- the printed plan, read back with pypdf (an independent reader, not WeasyPrint) ---------------------------


def _pages(pdf: bytes) -> list[str]:
    from pypdf import PdfReader

    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages]


def _size_mm(pdf: bytes) -> tuple[int, int]:
    from pypdf import PdfReader

    box = PdfReader(io.BytesIO(pdf)).pages[0].mediabox
    return round(float(box.width) * 25.4 / 72), round(float(box.height) * 25.4 / 72)


APPROVAL = exports.Approval(
    member="Ada Member", by="Dr Grace Clinician", at=datetime(2027, 1, 29, 14, 5, tzinfo=ZoneInfo("Europe/London"))
)


@pytest.fixture(scope="module")
def us_pdf(plan):
    return exports.to_pdf(plan, region="US", approval=APPROVAL)


@pytest.fixture(scope="module")
def uk_pdf(plan):
    return exports.to_pdf(plan, region="UK", approval=APPROVAL)


def test_the_pdf_is_letter_with_us_dates_in_the_us_and_a4_with_day_month_dates_elsewhere(us_pdf, uk_pdf):
    us, uk = us_pdf, uk_pdf
    assert _size_mm(us) == (216, 279)  # Letter
    assert _size_mm(uk) == (210, 297)  # A4
    assert "From Feb 1, 2027" in _pages(us)[0]
    assert "From 1 Feb 2027" in _pages(uk)[0]
    assert "2027-02-01" not in " ".join(_pages(uk))


def test_the_pdf_names_the_member_and_who_approved_it_and_when(plan, uk_pdf):
    first = _pages(uk_pdf)[0]
    assert "For Ada Member. Approved by Dr Grace Clinician on 29 Jan 2027 at 14:05 (GMT)." in first


def test_the_pdf_names_the_emergency_number_where_the_plan_is_followed(us_pdf, uk_pdf):
    """Not "your local emergency number": the number itself, as every page of the app gives it."""
    assert "call 911, or call or text 988" in _pages(us_pdf)[0]
    assert "call 999, or call Samaritans on 116 123" in _pages(uk_pdf)[0]
    assert "your local emergency number" not in _pages(uk_pdf)[0]


def test_the_pdf_says_nothing_that_contradicts_the_plan_and_names_no_command_line_flag(plan, uk_pdf):
    text = " ".join(_pages(uk_pdf))
    assert "--" not in text and "choose with" not in text
    last = sum(plan.steps[-1].daily_mg().values())
    assert last < D("0.125")  # the liquid lets the plan go below the smallest tablet before it stops
    # The 0.125 mg figure is the dose from which stopping is allowed, said as such, beside the plan's real last dose.
    assert "stopping allowed from 0.125 mg/day clonazepam" in text
    assert "smallest practical dose" not in text
    assert "the last dose (0.09 mg clonazepam a day)" in text
    # The chart's EC50 is listed whenever the text refers to it.
    assert "EC50 (modelled) 1 mg/day diazepam-equivalent" in text and "listed above" in text


def test_old_stored_plans_lose_their_command_line_notes_in_print(plan):
    from dataclasses import replace

    from slowtaper.taper import Assumption

    old = replace(
        plan,
        assumptions=(
            Assumption(
                Message.legacy("diazepam equivalence"),
                Message.legacy("0.5 mg = 10 mg"),
                "ashton2002",
                Message.legacy("default for displays; choose with --equivalence"),
            ),
            *plan.assumptions[1:],
        ),
    )
    text = " ".join(_pages(exports.to_pdf(old)))
    assert "--equivalence" not in text and "the clinician may choose another source" in text


def test_no_dispensing_row_is_split_across_pages(plan, us_pdf):
    from slowtaper.taper import fill_periods

    pages = _pages(us_pdf)
    for fill in fill_periods(plan, 28):
        head = f"{exports.date_text(fill.start, 'US')} to {exports.date_text(fill.end, 'US')} ({fill.days} days)"
        where = [i for i, page in enumerate(pages) if head in page]
        assert len(where) == 1, head
        # Every line of the fill is on the page where the fill starts.
        for line in fill.lines:
            assert line.supply in pages[where[0]], (head, line.supply)


def test_dates_are_unambiguous_in_every_region():
    day = date(2027, 1, 4)
    assert exports.date_text(day, "US") == "Jan 4, 2027"
    assert exports.date_text(day, "UK") == exports.date_text(day, "EU") == "4 Jan 2027"


def test_the_plan_and_calendar_are_in_the_members_language_whoever_downloads_them(client, cast, approved):
    """A member who reads Spanish gets a Spanish PDF and Spanish calendar titles, even when the clinician (reading
    English) downloads them; read back with pypdf and icalendar, independent of what wrote them."""
    from conftest import login

    cast.member.locale = "es"
    cast.member.save()
    login(client, cast.clinician)
    pdf = client.get(f"/members/{cast.member.pk}/export/pdf/")
    assert pdf.status_code == 200
    text = " ".join(_pages(pdf.content))
    assert "Plan de descenso de Clonazepam" in text and "Todos los pasos y cómo tomar cada dosis" in text
    steps = text.split("Todos los pasos y cómo tomar cada dosis")[1].split("Calendario de dosis")[0]
    assert "comprimido de 0,5 mg" in steps and "tablet" not in steps  # doses measured in Spanish, 0,5 not 0.5
    assert "Si tiene pensamientos de hacerse daño" in text
    assert re.search(r"\d+ de [a-z]+ de 20\d\d", text), "dates in Spanish form"
    cal = Calendar.from_ical(client.get(f"/members/{cast.member.pk}/export/ics/").content)
    assert str(cal["X-WR-CALNAME"]) == "Horas de las dosis"
    events = list(cal.walk("VEVENT"))
    assert events and {str(ev["SUMMARY"]) for ev in events} == {"Hora de la dosis"}
    assert any("comprimido" in str(ev["DESCRIPTION"]) for ev in events)
    assert '<html lang="en">' in client.get("/clinic/").content.decode()  # the clinician's own pages stay English
