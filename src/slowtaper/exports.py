"""Plans as files: CSV, iCalendar, PNG/SVG plots and a printable PDF.

This sits outside the domain layer because it uses plotting and PDF libraries; it only reads a Plan.
Each function returns bytes or text and writes nothing itself.
"""

from __future__ import annotations

import base64
import calendar
import csv
import hashlib
import io
import json
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slowtaper.taper import (
    DispenseLine,
    Dispensing,
    InvalidInput,
    NotModelled,
    Plan,
    Product,
    catalogue,
    diary,
    fill_periods,
    plain,
    plan_to_dict,
)
from slowtaper.taper import Message as _Message

PLOT_FORMATS = ("png", "svg")


# The words of the PDF plan and the calendar are in the active language when Django is set up (the web app
# renders them inside translation.override(the member's language)); the command line, which has no Django
# settings, gets the English.
def _translating() -> bool:
    from django.conf import settings

    return bool(settings.configured)


def _(text: str) -> str:
    if not _translating():
        return text
    from django.utils.translation import gettext

    return gettext(text)


def pgettext(context: str, text: str) -> str:
    if not _translating():
        return text
    from django.utils.translation import pgettext as translate

    return translate(context, text)


def _method_name(method: str) -> str:
    """The plan's method as the printed plan names it (its code in English, as before)."""
    names = {
        "percent": pgettext("plan method", "percent"),
        "hyperbolic": pgettext("plan method", "hyperbolic"),
        "linear": pgettext("plan method", "linear"),
        "crossover": pgettext("plan method", "crossover"),
        "custom": pgettext("plan method", "custom"),
    }
    return names.get(method, method)


def _step_kind(kind: str) -> str:
    """A step's kind as a short tag (the kind itself in English)."""
    names = {
        "stabilise": pgettext("step kind", "stabilise"),
        "reduce": pgettext("step kind", "reduce"),
        "micro": pgettext("step kind", "micro"),
        "hold": pgettext("step kind", "hold"),
        "crossover": pgettext("step kind", "crossover"),
        "custom": pgettext("step kind", "custom"),
        "maintain": pgettext("step kind", "maintain"),
    }
    return names.get(kind, kind)


def _english() -> bool:
    if not _translating():
        return True
    from django.utils.translation import get_language

    return (get_language() or "en").startswith("en")


def words(message: _Message | str) -> str:
    """An engine message (or a data text) in the active language, numbers written as it writes them."""
    if not _translating():
        return str(message)
    from slowtaper.i18n import engine_text

    return engine_text(message)


def amount(mg: Decimal) -> str:
    """An amount as the active language writes it ("0.5", "0,5")."""
    if _english():
        return plain(mg)
    from django.utils import formats

    return str(formats.number_format(Decimal(plain(mg))))


def product_text(product: Product) -> str:
    """A product with how finely it divides, in the active language (`Product.describe` in English)."""
    extra = []
    if product.form == "tablet":
        extra.append(
            {"none": _("unscored"), "half": _("splits in halves"), "quarter": _("splits in quarters")}[product.score]
        )
    if product.form == "odt":
        extra.append(_("never split"))
    if product.measure_ml is not None:
        extra.append(_("measured in %(ml)s mL steps") % {"ml": amount(product.measure_ml)})
    if product.syringe_ml is not None:
        extra.append(_("with a %(ml)s mL oral syringe") % {"ml": amount(product.syringe_ml)})
    if product.mg_per_drop is not None:
        extra.append(_("%(mg)s mg per drop") % {"mg": amount(product.mg_per_drop)})
    if product.beyond_use_days:
        extra.append(_("use within %(days)s days") % {"days": product.beyond_use_days})
    name = words(product.label_message())
    text = _("%(product)s (%(qualities)s)") % {"product": name, "qualities": ", ".join(extra)} if extra else name
    return text if product.verified else _("%(product)s [unverified]") % {"product": text}


def used_text(line: DispenseLine) -> str:
    """What the days of a fill use, in the active language (`DispenseLine.used_message`)."""
    return words(line.used_message)


def supply_text(line: DispenseLine) -> str:
    """What to hand over, in the active language (`DispenseLine.supply_message`)."""
    return words(line.supply_message)


def fill_notes(period: Dispensing) -> list[str]:
    """The period's notes on liquids that keep fewer days than it lasts, in the active language."""
    return [words(m) for m in period.note_messages]


def plan_digest(plan: Plan) -> str:
    """A short stable fingerprint of the plan's content (used for calendar UIDs)."""
    text = json.dumps(plan_to_dict(plan), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def to_csv(plan: Plan) -> str:
    """One row per day per dose time: date, time, drug, mg, how to measure it, step number and kind."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["date", "time", "drug", "mg", "how", "step", "kind"])
    for day, step in plan.days():
        for dose in step.doses:
            w.writerow(
                [
                    day.isoformat(),
                    dose.time.strftime("%H:%M"),
                    dose.drug,
                    plain(dose.mg),
                    dose.how(),
                    step.number,
                    step.kind,
                ]
            )
    return buf.getvalue()


def _zone(tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput(f"unknown time zone '{tz}': use a name like Europe/London or America/New_York") from exc


def to_ics(plan: Plan, tz: str = "UTC") -> bytes:
    """Dose reminders at local dose times, one daily-repeating event per dose time and step.

    Events carry the time zone (with its VTIMEZONE), so 08:00 stays 08:00 local across daylight-saving
    changes. The VTIMEZONE is ours (`calendar_zones`): yearly rules, which every reader applies, not icalendar's
    RDATE lists, which Thunderbird and vobject ignore. UTC needs none (times end in Z). Titles never name the
    drug: a lock screen or a shared calendar shows only "Dose time".
    """
    from icalendar import Calendar, Event

    from slowtaper.calendar_zones import vtimezone

    zone = _zone(tz)
    cal = Calendar()
    cal.add("prodid", "-//slowtaper//taper plan//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", _("Dose times"))
    digest = plan_digest(plan)
    stamp = datetime.combine(plan.start, datetime.min.time(), tzinfo=ZoneInfo("UTC"))
    tzids: set[str] = set()
    for i, step in enumerate(plan.steps):
        for j, dose in enumerate(step.doses):
            ev = Event()
            ev.add("uid", f"{digest}-{i}-{j}@slowtaper")
            ev.add("dtstamp", stamp)
            ev.add("dtstart", datetime.combine(step.start, dose.time, tzinfo=zone))
            ev.add("duration", timedelta(minutes=15))
            ev.add("summary", _("Dose time"))
            ev.add("description", _("%(how)s (%(mg)s mg)") % {"how": words(dose.how_message()), "mg": amount(dose.mg)})
            if step.days > 1:
                ev.add("rrule", {"freq": "daily", "count": step.days})
            cal.add_component(ev)
            tzids.update(ev["DTSTART"].params.get("TZID", "").split())
    # Zone definitions go before the events that use them, as every writer puts them.
    for tzid in sorted(tzids):
        cal.subcomponents.insert(0, vtimezone(tzid, plan.start, plan.end))
    return bytes(cal.to_ical())


def plot(plan: Plan, fmt: str = "png") -> bytes:
    """Daily dose per drug, with modelled concentration and modelled occupancy for a typical patient."""
    if fmt not in PLOT_FORMATS:
        raise InvalidInput(f"plots are {' or '.join(PLOT_FORMATS)}, not '{fmt}'")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    from slowtaper.taper import simulate_plan  # numpy: loaded only for a plot

    # Text as text, not outlines: the printed plan's chart can then be read aloud, searched and checked for its
    # language like the rest of the page.
    matplotlib.rcParams["svg.fonttype"] = "none"

    days = [d for d, _ in plan.days()]
    try:
        sim = simulate_plan(plan)
    except NotModelled as exc:
        sim, note = None, words(exc.message)
    else:
        note = _("Modelled for a typical adult; individual levels vary widely.")
    panels = 3 if sim is not None else 1
    fig, axes = plt.subplots(panels, 1, figsize=(9, 2.6 * panels + 0.6), sharex=True, squeeze=False)
    ax = axes[0][0]
    for drug in plan.drugs:
        values = [float(step.daily_mg().get(drug, Decimal(0))) for _d, step in plan.days()]
        ax.step([*days, plan.end], [*values, 0.0], where="post", label=_("%(drug)s (mg/day)") % {"drug": drug})
    ax.set_ylabel(_("dose, mg/day"))
    ax.legend(loc="upper right", fontsize=8)
    ax.set_title(
        _("%(drug)s taper, %(start)s to %(end)s")
        % {"drug": plan.drug.capitalize(), "start": _short_day(plan.start), "end": _short_day(plan.end)}
    )
    if sim is not None:
        span = [plan.start + timedelta(days=i) for i in range(sim.hours // 24)]
        ax2 = axes[1][0]
        for drug, conc in sim.conc.items():
            ax2.plot(span, sim.daily(conc)[0], label=_("%(drug)s daily mean (modelled)") % {"drug": drug})
        ax2.set_ylabel(_("ng/mL (modelled)"))
        ax2.legend(loc="upper right", fontsize=8)
        ax3 = axes[2][0]
        ax3.plot(span, sim.daily(sim.occ)[0], color="tab:purple")
        ax3.set_ylabel(_("occupancy % (modelled)"))
        ax3.set_ylim(0, 100)
    axes[-1][0].xaxis.set_major_formatter(_month_ticks(mdates))
    fig.text(0.01, 0.005, note, fontsize=7)
    fig.tight_layout(rect=(0, 0.02, 1, 1))
    buf = io.BytesIO()
    # A fixed date in the metadata keeps the files identical for identical plans.
    meta: dict[str, Any] = {"Software": "slowtaper"} if fmt == "png" else {"Date": None}
    fig.savefig(buf, format=fmt, dpi=110, metadata=meta)
    plt.close(fig)
    return buf.getvalue()


def _short_day(day: date) -> str:
    """A date in a chart's title: "4 Jan 2027" in English (as always), the language's short form otherwise."""
    if _english():
        return f"{day:%-d %b %Y}"
    from django.utils import formats

    return str(formats.date_format(day, "DATE_FORMAT"))


def _month_ticks(mdates: Any) -> Any:
    """The chart's month labels: "Jan 2027" in English (as always), the language's month names otherwise
    (strftime would write them in the C locale's English)."""
    if _english():
        return mdates.DateFormatter("%b %Y")
    import matplotlib.ticker

    return matplotlib.ticker.FuncFormatter(lambda x, _pos: _month_title(mdates.num2date(x).date()))


def _month_grids(plan: Plan) -> list[dict[str, Any]]:
    """Calendar months covering the plan: weeks of (day number, daily total text) cells."""
    totals: dict[date, str] = {}
    for day, step in plan.days():
        totals[day] = " + ".join(amount(mg) for mg in step.daily_mg().values()) or "0"
    months = []
    y, m = plan.start.year, plan.start.month
    while date(y, m, 1) <= plan.end:
        weeks = []
        for week in calendar.Calendar(firstweekday=0).monthdatescalendar(y, m):
            weeks.append(
                [
                    {"day": d.day if d.month == m else "", "dose": totals.get(d, "") if d.month == m else ""}
                    for d in week
                ]
            )
        months.append({"title": _month_title(date(y, m, 1)), "weeks": weeks})
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return months


# Letter where people print on Letter (the US; Canada too, should a Canadian region be added), A4 elsewhere.
LETTER_REGIONS = ("US", "CA")

# Notes that plans stored before the engine stopped naming command-line flags may still carry: what a printed
# plan says instead (nobody reading a PDF has a command line).
_OLD_NOTES = {
    "default for displays; choose with --equivalence": "default for displays; the clinician may choose another source",
    "unverified: literature anchors disagree by about tenfold; settable with --ec50": (
        "unverified: literature anchors disagree by about tenfold; a setting the clinician can change"
    ),
    "settable with --emax": "a setting the clinician can change",
}


def _month_title(first: date) -> str:
    if _english():
        return first.strftime("%B %Y")
    from django.utils import formats

    return str(formats.date_format(first, "YEAR_MONTH_FORMAT"))


def date_text(day: date | datetime, region: str = "US") -> str:
    """A date no reader can misread, with the month as a word: "Jan 4, 2027" in the US, "4 Jan 2027"
    elsewhere (4/1 and 1/4 mean different days on either side of the Atlantic); in another language, as it
    writes dates ("4 de enero de 2027")."""
    if not _english():
        from django.utils import formats

        return str(formats.date_format(day, "DATE_FORMAT"))
    return f"{day:%b} {day.day}, {day.year}" if region in LETTER_REGIONS else f"{day.day} {day:%b %Y}"


def _render_pdf(template: str, context: dict[str, Any], region: str = "US") -> bytes:
    import jinja2
    from weasyprint import HTML

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("slowtaper", "templates"),
        autoescape=jinja2.select_autoescape(["html"]),
    )
    env.filters["day"] = lambda d: date_text(d, region)
    env.filters["words"] = words
    env.filters["amount"] = amount
    env.filters["kind"] = _step_kind
    env.filters["product"] = product_text
    env.filters["used"] = used_text
    env.filters["supply"] = supply_text
    env.filters["fill_notes"] = fill_notes
    env.globals["_"] = _
    env.globals["lang"] = "en" if _english() else _language()
    paper = "letter" if region in LETTER_REGIONS else "A4"
    html = env.get_template(template).render(paper=paper, **context)
    pdf = HTML(string=html).write_pdf(pdf_variant="pdf/ua-1")
    assert pdf is not None
    return bytes(pdf)


def _language() -> str:
    from django.utils.translation import get_language

    return get_language() or "en"


@dataclass(frozen=True)
class Approval:
    """Who the printed plan is for and who approved it, when (`at` in the member's time zone)."""

    member: str
    by: str
    at: datetime


def _approved_text(approval: Approval | None, region: str) -> str:
    if approval is None:
        return ""
    return _("%(day)s at %(time)s (%(zone)s)") % {
        "day": date_text(approval.at, region),
        "time": f"{approval.at:%H:%M}",
        "zone": approval.at.tzname(),
    }


def dispensing_pdf(
    plan: Plan,
    period: Dispensing,
    member_name: str,
    revision: int,
    *,
    region: str = "US",
    approval: Approval | None = None,
    to_obtain: tuple[Product, ...] = (),
) -> bytes:
    """The pharmacist's sheet for one fill period: what to hand over, and every dose in the period with how it
    is measured, so the labels can be written from it. `to_obtain` names products the member does not have."""
    days = [(d, s) for d, s in plan.days() if period.start <= d < period.end]
    steps = []
    for _d, step in days:
        if not steps or steps[-1] is not step:
            steps.append(step)
    context = {
        "plan": plan,
        "period": period,
        "member": member_name,
        "revision": revision,
        "approval": approval,
        "approved": _approved_text(approval, region),
        "to_obtain": to_obtain,
        "steps": [
            {
                "step": s,
                "position": plan.steps.index(s) + 1,
                "first": max(s.start, period.start),
                "last": min(s.end, period.end) - timedelta(days=1),
            }
            for s in steps
        ],
        "digest": plan_digest(plan),
    }
    return _render_pdf("dispensing.html", context, region)


def gettext_noop(text: str) -> str:
    """Marks a text for the catalogues (makemessages collects it); it is translated where it is shown."""
    return text


# The names the engine gives the plan's assumptions (in English), for the catalogues: `_cell` translates them.
ASSUMPTION_NAMES = (
    gettext_noop("diazepam equivalence"),
    gettext_noop("older adult"),
    gettext_noop("slower near the end"),
    gettext_noop("EC50 (modelled)"),
    gettext_noop("Emax (modelled)"),
    gettext_noop("occupancy step (modelled)"),
)

_DECIMAL = re.compile(r"\d+\.\d+")


def _cell(value: Any) -> str:
    """An assumption's text in the active language: an engine message (code and parameters) rendered, a plain
    text translated like the data texts when a translation exists, its decimals written as the language writes
    them."""
    if isinstance(value, dict) and "code" in value:
        value = _Message.from_dict(value)
    if isinstance(value, _Message):
        return words(value)
    text = _(str(value)) if value else ""
    return text if _english() else _DECIMAL.sub(lambda m: amount(Decimal(m.group())), text)


def _said(message: _Message | None) -> str:
    """An assumption's name, value or note in the active language: rendered from its code; a plan stored before
    assumptions were messages keeps its English, translated like a data text where a translation exists."""
    if message is None:
        return ""
    if message.code == "text":  # Message.legacy: a sentence stored before codes
        text = str(message.params["text"])
        return _cell(_OLD_NOTES.get(text, text))
    return words(message)


def _assumptions(plan: Plan, data: dict[str, Any]) -> list[dict[str, str]]:
    """The plan's assumptions as a printed plan shows them, in the active language. The stopping threshold is
    named for what it is (the dose from which the last cut may go to zero: the plan may reach lower doses before
    stopping), and the occupancy model's EC50 and Emax are listed whenever the chart uses them, so the text can
    point to them."""
    cat = catalogue()
    rows = []
    for a, raw in zip(plan.assumptions, data["assumptions"], strict=True):
        row = {**raw, "name": _said(a.name), "value": _said(a.value), "note": _said(a.note)}
        if a.name.code == "assumption.smallest-practical" or raw["name"] == "smallest practical dose":
            row["name"] = _("stopping allowed from")
            row["note"] = (
                _("the last cut, to zero, is made from this daily dose or lower; %(note)s") % {"note": row["note"]}
                if row["note"]
                else _("the last cut, to zero, is made from this daily dose or lower")
            )
        rows.append(row)
    names = {a["name"] for a in data["assumptions"]}
    if "EC50 (modelled)" not in names:
        source = cat.sources["psychsnaps_horowitz"].citation
        req = plan.request
        rows.append(
            {
                "name": _("EC50 (modelled)"),
                "value": _("%(mg)s mg/day diazepam-equivalent") % {"mg": amount(req.ec50_de_mg)},
                "note": _(
                    "used only for the modelled occupancy chart; unverified: literature anchors disagree by about "
                    "tenfold"
                ),
                "citation": source,
            }
        )
        rows.append(
            {
                "name": _("Emax (modelled)"),
                "value": _("%(percent)s%%") % {"percent": amount(req.emax_percent)},
                "note": _("used only for the modelled occupancy chart"),
                "citation": source,
            }
        )
    return rows


def to_pdf(plan: Plan, fill_days: int = 28, *, region: str | None = None, approval: Approval | None = None) -> bytes:
    """A printable plan: who it is for and who approved it, warnings and assumptions with sources, how to take
    every dose, a dose calendar, dispensing per fill and the plot. Rendered from an HTML template by WeasyPrint,
    on Letter or A4 paper and with dates written for `region` (default: the plan's region)."""
    region = region or plan.request.region
    svg = plot(plan, "svg")
    data = plan_to_dict(plan)
    last = plan.steps[-1]
    context = {
        "plan": plan,
        "last_day": plan.end - timedelta(days=1),
        "last_daily": " + ".join(f"{amount(mg)} mg {drug}" for drug, mg in last.daily_mg().items()),
        "data": data,
        "method": _method_name(plan.request.method),
        "steps": list(zip(plan.steps, data["steps"], strict=True)),
        "assumptions": _assumptions(plan, data),
        "fills": fill_periods(plan, fill_days),
        "months": _month_grids(plan),
        "plot": "data:image/svg+xml;base64," + base64.b64encode(svg).decode(),
        "approval": approval,
        "approved": _approved_text(approval, region),
        # The number to call where the plan is followed (the plan's region), not "your local emergency number".
        "emergency": diary().emergency.get(region),
    }
    return _render_pdf("plan.html", context, region)
