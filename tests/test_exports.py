"""CSV, iCalendar (across daylight saving), plots and PDF."""

import csv
import io
from datetime import date, datetime, time, timedelta
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from conftest import make_request
from slowtaper import exports
from slowtaper.taper import InvalidInput, build_plan


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
        make_request(drug="temazepam", regimen=((time(22), D(20)),), region="UK", final_dose_mg=D(20))
    )
    assert exports.plot(temazepam, "png")[:4] == b"\x89PNG"


def test_pdf_contains_the_plan_its_sources_and_how_to_measure(plan):
    pdf = exports.to_pdf(plan)
    assert pdf[:5] == b"%PDF-"
    from pypdf import PdfReader

    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "clinician decides" in text
    assert "08:00 clonazepam 0.8 mg: 1 tablet of 0.5 mg + 3 mL of 0.1 mg/mL suspension" in " ".join(text.split())
    assert "Dispensing" in text and "Ashton" in text
    assert "the last dose is on 2028-06-18" in text
    assert "modelled" in text.lower()
