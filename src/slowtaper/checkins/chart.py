"""Symptom scores against the dose, as a small server-rendered SVG with a text alternative.

Hand-built rather than matplotlib: it is a few lines and rectangles, it must be light on a phone, and every
element can carry accessible text. The dose is the planned daily dose in mg of the member's drug, or in mg of
diazepam equivalent when the plan switches between drugs (so a switch stays one line); diary scores are 0-4,
CIWA-B totals 0-80 on their own scale.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from xml.sax.saxutils import escape

from django.utils import formats
from django.utils.translation import get_language, ngettext, pgettext
from django.utils.translation import gettext as _

from slowtaper.i18n import data_text, day_text
from slowtaper.taper import TimelineRow, diary, plain

# A phone-sized canvas: the SVG scales to the page width, so text sizes here are close to what is read.
WIDTH, HEIGHT = 400, 250
LEFT, RIGHT, TOP, BOTTOM = 44, 40, 24, 40


@dataclass(frozen=True)
class Chart:
    svg: str
    summary: str
    rows: Sequence[TimelineRow]


def _x(i: int, n: int) -> float:
    return LEFT + (WIDTH - LEFT - RIGHT) * (i / max(n - 1, 1))


def _y(value: float, top: float) -> float:
    return TOP + (HEIGHT - TOP - BOTTOM) * (1 - value / top if top else 1)


def _dose_scale(rows: Sequence[TimelineRow]) -> tuple[list[Decimal], str]:
    """Each day's dose in mg of the one drug taken, or in diazepam equivalents if more than one appears."""
    drugs = {d for r in rows for d in r.daily_mg}
    if len(drugs) == 1:
        (drug,) = drugs
        return [r.daily_mg.get(drug, Decimal(0)) for r in rows], drug
    return [r.diazepam_mg for r in rows], _("diazepam equivalent")


def render(rows: Sequence[TimelineRow], title: str, with_dose: bool = True) -> Chart:
    """The chart of scores against the dose. Without `with_dose` (a mentor the member shares only their check-ins
    with), nothing about the medicine or its dose is drawn or described, and the rows are not passed on."""
    n = len(rows)
    doses, unit = _dose_scale(rows)
    dose_top = float(max(doses, default=Decimal(1))) or 1.0
    # Looked up outside the f-strings below: xgettext does not read calls inside an f-string, so a `_()` there
    # never reached the catalogues and stayed English.
    mg, diary = escape(_("mg")), escape(pgettext("chart axis: the daily diary score", "diary"))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="chart-title chart-desc" class="chart">',
        f'<title id="chart-title">{escape(title)}</title>',
    ]
    summary = _summary(rows, doses, unit, with_dose)
    parts.append(f'<desc id="chart-desc">{escape(summary)}</desc>')
    # axes, with the dose scale on the left and the diary scale (0-4) on the right
    bottom = HEIGHT - BOTTOM
    parts.append(f'<line x1="{LEFT}" y1="{bottom}" x2="{WIDTH - RIGHT}" y2="{bottom}" class="axis"/>')
    for score in (0, 2, 4):
        y = _y(score, 4)
        parts.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" class="grid"/>')
        parts.append(f'<text x="{WIDTH - RIGHT + 6}" y="{y + 4:.1f}" class="label score">{score}</text>')
    if with_dose:
        parts.append(f'<text x="{LEFT - 6}" y="{_y(dose_top, dose_top) + 4:.1f}" text-anchor="end" class="label dose">')
        parts.append(f"{_number(Decimal(str(dose_top)))}</text>")
        parts.append(f'<text x="{LEFT - 6}" y="{bottom + 4}" text-anchor="end" class="label dose">0</text>')
        parts.append(f'<text x="{LEFT - 6}" y="{TOP - 8}" text-anchor="end" class="label dose">{mg}</text>')
    parts.append(f'<text x="{WIDTH - RIGHT + 6}" y="{TOP - 8}" class="label score">{diary}</text>')
    if n:
        first, last = escape(_short_day(rows[0].day)), escape(_short_day(rows[-1].day))
        parts.append(f'<text x="{LEFT}" y="{HEIGHT - 14}" class="label">{first}</text>')
        parts.append(f'<text x="{WIDTH - RIGHT}" y="{HEIGHT - 14}" text-anchor="end" class="label">{last}</text>')
        # dose as a step line
        points = [] if with_dose else None
        for i, dose in enumerate(doses if points is not None else []):
            y = _y(float(dose), dose_top)
            if i:
                points.append(f"{_x(i, n):.1f},{_y(float(doses[i - 1]), dose_top):.1f}")
            points.append(f"{_x(i, n):.1f},{y:.1f}")
        if points:
            parts.append(f'<polyline points="{" ".join(points)}" class="dose-line" fill="none"/>')
        # diary scores as dots joined where days are consecutive
        for i, r in enumerate(rows):
            when = escape(day_text(r.day))
            if r.diary is not None:
                parts.append(
                    f'<circle cx="{_x(i, n):.1f}" cy="{_y(float(r.diary), 4):.1f}" r="4" class="diary-dot">'
                    f"<title>{when}: {diary} {_number(r.diary)}</title></circle>"
                )
            if r.ciwa_b is not None:
                parts.append(
                    f'<rect x="{_x(i, n) - 4:.1f}" y="{_y(r.ciwa_b, 80) - 4:.1f}" width="8" height="8" '
                    f'class="ciwa-dot"><title>{when}: CIWA-B {r.ciwa_b}</title></rect>'
                )
            if r.red_flags:
                parts.append(
                    f'<text x="{_x(i, n):.1f}" y="{TOP + 12}" text-anchor="middle" class="flag">!'
                    f"<title>{when}: {escape(_flags(r.red_flags))}</title></text>"
                )
    parts.append("</svg>")
    return Chart("".join(parts), summary, rows if with_dose else ())


def _number(value: Decimal) -> str:
    """An amount as the reader writes numbers ("0,5" in Spanish), with no trailing zeros."""
    return formats.number_format(Decimal(plain(value)))


def _flags(ids: Sequence[str]) -> str:
    """The red flags of a day by their names in the reader's language (an id no longer in the data as it is)."""
    flags = diary().red_flags
    return ", ".join(data_text(flags[k].label) if k in flags else k for k in ids)


def _short_day(day: date) -> str:
    """A day on the chart's axis: ISO in English (as before), the day and month in another language ("4 de
    enero")."""
    if (get_language() or "en").split("-")[0] == "en":
        return day.isoformat()
    return formats.date_format(day, "MONTH_DAY_FORMAT")


def _summary(rows: Sequence[TimelineRow], doses: list[Decimal], unit: str, with_dose: bool = True) -> str:
    if not rows:
        return _("No days to show yet.")
    scored = [r for r in rows if r.diary is not None]
    first, last = rows[0], rows[-1]
    if with_dose:
        text = _("From %(a)s to %(b)s the planned dose went from %(d1)s to %(d2)s mg a day (%(unit)s).") % {
            "a": day_text(first.day),
            "b": day_text(last.day),
            "d1": _number(doses[0]),
            "d2": _number(doses[-1]),
            "unit": unit,
        }
    else:
        text = _("From %(a)s to %(b)s.") % {"a": day_text(first.day), "b": day_text(last.day)}
    if scored:
        text += " " + ngettext(
            "Diary scores on %(n)s day, from %(lo)s to %(hi)s (0-4), the latest %(last)s.",
            "Diary scores on %(n)s days, from %(lo)s to %(hi)s (0-4), the latest %(last)s.",
            len(scored),
        ) % {
            "n": len(scored),
            "lo": _number(min(r.diary for r in scored if r.diary is not None)),
            "hi": _number(max(r.diary for r in scored if r.diary is not None)),
            "last": _number(scored[-1].diary or Decimal(0)),
        }
    else:
        text += " " + _("No diary scores yet.")
    ciwa = [r for r in rows if r.ciwa_b is not None]
    score = pgettext("chart summary: a questionnaire total and the day it was taken", "%(day)s %(score)s")
    if ciwa:
        text += " " + _("CIWA-B: %(v)s.") % {
            "v": ", ".join(score % {"day": day_text(r.day), "score": r.ciwa_b} for r in ciwa[-5:])
        }
    flags = [r for r in rows if r.red_flags]
    if flags:
        text += " " + ngettext("Red flags reported on %(n)s day.", "Red flags reported on %(n)s days.", len(flags)) % {
            "n": len(flags)
        }
    return text
