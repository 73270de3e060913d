"""The server-rendered chart: one drug is drawn in its own mg, a switch in diazepam equivalents, and the text
alternative says the same as the picture."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from slowtaper.checkins.chart import render
from slowtaper.taper import TimelineRow


def row(day: date, daily: dict[str, Decimal], diary: Decimal | None = None, ciwa: int | None = None, flags=()):
    return TimelineRow(day, daily, sum(daily.values(), Decimal(0)) * 20, diary, ciwa, None, None, tuple(flags), 0)


def test_one_drug_is_charted_in_its_own_mg_with_the_scores():
    d0 = date(2027, 1, 1)
    rows = [
        row(d0, {"clonazepam": Decimal("1.5")}, Decimal(1)),
        row(d0 + timedelta(days=1), {"clonazepam": Decimal("1.35")}, None, 12),
        row(d0 + timedelta(days=2), {"clonazepam": Decimal("1.35")}, Decimal("2.5"), flags=["seizure"]),
    ]
    chart = render(rows, "title")
    assert chart.svg.count('class="diary-dot"') == 2
    assert chart.svg.count('class="ciwa-dot"') == 1
    assert "2027-01-03: Seizure" in chart.svg  # the red flag by its name
    assert ">1.5</text>" in chart.svg  # the dose scale's top, in clonazepam mg
    assert "from 1.5 to 1.35 mg a day (clonazepam)" in chart.summary
    assert "Diary scores on 2 days, from 1 to 2.5" in chart.summary
    assert "CIWA-B: 2027-01-02 12" in chart.summary and "Red flags reported on 1 day." in chart.summary


def test_a_switch_between_drugs_is_charted_in_diazepam_equivalents():
    d0 = date(2027, 1, 1)
    rows = [
        row(d0, {"clonazepam": Decimal(1)}),
        row(d0 + timedelta(days=1), {"clonazepam": Decimal("0.5"), "diazepam": Decimal(10)}),
    ]
    assert "(diazepam equivalent)" in render(rows, "t").summary


def test_no_days_and_no_scores_say_so():
    assert render([], "t").summary == "No days to show yet."
    assert "No diary scores yet." in render([row(date(2027, 1, 1), {"clonazepam": Decimal(1)})], "t").summary


def test_a_spanish_reader_reads_the_days_and_numbers_as_spanish_writes_them():
    from django.utils import translation

    d0 = date(2027, 1, 1)
    rows = [
        row(d0, {"clonazepam": Decimal("1.5")}, Decimal(1)),
        row(d0 + timedelta(days=1), {"clonazepam": Decimal("1.35")}, None, 12),
        row(d0 + timedelta(days=2), {"clonazepam": Decimal("1.35")}, Decimal("2.5"), flags=["seizure"]),
    ]
    with translation.override("es"):
        chart = render(rows, "título")
    assert chart.summary.startswith("Del 1 de enero de 2027 al 3 de enero de 2027"), chart.summary
    assert "de 1,5 a 1,35 mg al día" in chart.summary and "de 1 a 2,5" in chart.summary
    assert "CIWA-B: 2 de enero de 2027: 12." in chart.summary, chart.summary
    assert "3 de enero de 2027: Convulsión" in chart.svg and ">1,5</text>" in chart.svg
    assert ">1 de enero</text>" in chart.svg and ">3 de enero</text>" in chart.svg  # the axis
    assert "2027-" not in chart.summary + chart.svg
