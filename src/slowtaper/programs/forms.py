"""Forms for intake, the plan builder, approvals and holds. Each validates and converts to what the engine takes;
messages say what to fix, next to the field."""

from __future__ import annotations

import re
from datetime import date, time
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import formats
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from slowtaper.i18n import data_text, engine_text
from slowtaper.said import param_text
from slowtaper.taper import (
    CUT_ORDERS,
    EQUIVALENCE_SOURCES,
    METHODS,
    SWITCH_ORDERS,
    PlanRequest,
    Product,
    ScreenAnswers,
    TaperError,
    Use,
    catalogue,
    plain,
    screening,
    thresholds,
)
from slowtaper.taper import Message as EngineMessage

DOSE_ROWS = 4
MAX_DAILY_MG = Decimal(200)


def _drug_choices() -> list[tuple[str, str]]:
    return [(d, d.capitalize()) for d in catalogue().drugs]


def product_label(product: Product) -> str:
    """A product's name in the reader's language, its amounts written as they write numbers ("comprimido de
    0,5 mg")."""
    return engine_text(product.label_message())


def member_label(product: Product) -> str:
    """A product named as a member would know it: "ODT" is pharmacy shorthand."""
    if product.form == "odt" and product.strength_mg is not None:
        return _("%(mg)s mg melt-in-the-mouth tablet (ODT)") % {
            "mg": formats.number_format(Decimal(plain(product.strength_mg)))
        }
    return product_label(product)


def product_choices(region: str, drug: str | None = None, plain_words: bool = False) -> list[Any]:
    """The region's products: flat for one drug, grouped under each drug's name for all of them. With
    `plain_words`, named for a member (see member_label)."""
    cat = catalogue()
    name = member_label if plain_words else product_label
    if drug is not None:
        return [(p.id, name(p)) for p in cat.products_for(drug, region)]
    return [(d.capitalize(), [(p.id, name(p)) for p in cat.products_for(d, region)]) for d in cat.drugs]


MAX_WEEKS = 52 * 80
WEEKS_PER = {"weeks": Decimal(1), "months": Decimal(52) / 12, "years": Decimal(52)}


def weeks_of(amount: int, unit: str) -> Decimal:
    """A duration in weeks, rounded up to whole weeks: months count as 52/12 weeks, so a month is never taken
    as shorter than it is (the dependence risk bands grow with duration; rounding down would understate it)."""
    return (amount * WEEKS_PER[unit]).to_integral_value(rounding="ROUND_CEILING")


def duration_initial(weeks: float) -> tuple[int, str]:
    """How to show a stored duration again: in whole years or months when it is one, otherwise in weeks."""
    whole = Decimal(str(weeks))
    for unit in ("years", "months"):
        amount = int(whole / WEEKS_PER[unit])
        if amount and weeks_of(amount, unit) == whole:
            return amount, unit
    return int(whole), "weeks"


def _current_ids(stored: list[str]) -> list[str]:
    """Product ids as the catalogue names them now: an intake made before ids were explicit holds former ids."""
    cat = catalogue()
    out = []
    for raw in stored:
        try:
            out.append(cat.product(raw).id)
        except TaperError:
            continue  # a product no longer in the catalogue cannot be ticked again
    return out


def intake_initial(intake: Any) -> dict[str, Any]:
    """The form's starting values from an earlier intake, so answering again starts from what was said."""
    answers = intake.answers
    use = answers.get("use", {})
    amount, unit = duration_initial(use.get("duration_weeks", 0))
    initial: dict[str, Any] = {
        "drug": intake.drug,
        "products": _current_ids(intake.products),
        "duration": amount,
        "duration_unit": unit,
        "days_per_week": use.get("days_per_week", 7),
        "age": answers.get("age"),
        "pregnant": answers.get("pregnant", False),
        "breastfeeding": answers.get("breastfeeding", False),
        "conditions": list(answers.get("conditions", [])),
        "comedications": list(answers.get("comedications", [])),
        "adjuncts": [a for a in answers.get("adjuncts", []) if not _asked_as_comedication(a)],
        "pdmp": answers.get("pdmp", ""),
    }
    for i, (t, mg) in enumerate(sorted(intake.regimen.items()), start=1):
        if i > DOSE_ROWS:
            break
        initial[f"time_{i}"] = t
        initial[f"mg_{i}"] = mg
    return initial


def _asked_as_comedication(adjunct: str) -> bool:
    """An adjunct that is a co-medication too (alcohol) is asked once, among the co-medications."""
    entry = screening().adjuncts.get(adjunct)
    return entry is None or bool(entry.comedication)


PDMP_CHOICES = [("yes", _("Yes")), ("no", _("No")), ("unsure", _("I don't know"))]


class IntakeForm(forms.Form):
    """How the member takes their drug now, what they have at home, and the safety questions."""

    drug = forms.ChoiceField(label=_("Which medicine do you take?"), choices=_drug_choices)
    products = forms.MultipleChoiceField(
        label=_("Which forms do you have at home?"),
        help_text=_("Tick every tablet, wafer or liquid you have now. Your plan only uses these."),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    duration = forms.IntegerField(label=_("How long have you taken it?"), min_value=0, max_value=999)
    duration_unit = forms.ChoiceField(
        label=_("Weeks, months or years"),
        choices=[("weeks", _("weeks")), ("months", _("months")), ("years", _("years"))],
        initial="years",
    )
    days_per_week = forms.IntegerField(label=_("On how many days a week?"), min_value=1, max_value=7, initial=7)
    age = forms.IntegerField(label=_("Your age in years"), min_value=16, max_value=120)
    pregnant = forms.BooleanField(label=_("I am pregnant or may be"), required=False)
    breastfeeding = forms.BooleanField(label=_("I am breastfeeding"), required=False)
    conditions = forms.MultipleChoiceField(
        label=_("Do any of these apply to you?"), widget=forms.CheckboxSelectMultiple, required=False
    )
    comedications = forms.MultipleChoiceField(
        label=_("Do you take or use any of these?"), widget=forms.CheckboxSelectMultiple, required=False
    )
    adjuncts = forms.MultipleChoiceField(
        label=_("Do you take any of these supplements, herbs or other things?"),
        help_text=_(
            "We ask so that your clinician sees everything you take: some of these change how your medicine "
            "acts. slowtaper does not sell or recommend any of them, and no answer here is judged."
        ),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    pdmp = forms.ChoiceField(
        label=_("Has a doctor or pharmacist looked at your prescription record for this medicine?"),
        help_text=_(
            "Many places keep a record of prescriptions for medicines like this one (a prescription-monitoring "
            'programme). Checking it is routine for everyone; if you are not sure, choose "I don\'t know".'
        ),
        choices=PDMP_CHOICES,
        widget=forms.RadioSelect,
        required=False,
    )

    def __init__(self, *args: Any, region: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.region = region
        self.fields["products"].choices = product_choices(region, plain_words=True)
        data = screening()
        self.fields["conditions"].choices = [(c.id, data_text(c.label)) for c in data.conditions.values()]
        self.fields["comedications"].choices = [(c.id, data_text(c.label)) for c in data.comedications.values()]
        self.fields["adjuncts"].choices = [
            (a.id, data_text(a.label)) for a in data.adjuncts.values() if not a.comedication
        ]
        for i in range(1, DOSE_ROWS + 1):
            self.fields[f"time_{i}"] = forms.TimeField(
                label=_("Dose %(n)s: time") % {"n": i},
                required=i == 1,
                widget=forms.TimeInput(format="%H:%M", attrs={"type": "time"}),
            )
            self.fields[f"mg_{i}"] = forms.DecimalField(
                label=_("Dose %(n)s: mg") % {"n": i},
                required=i == 1,
                min_value=Decimal("0.001"),
                max_value=MAX_DAILY_MG,
                decimal_places=3,
            )

    def dose_rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"time_{i}"], self[f"mg_{i}"]) for i in range(1, DOSE_ROWS + 1)]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        regimen: dict[time, Decimal] = {}
        for i in range(1, DOSE_ROWS + 1):
            t, mg = data.get(f"time_{i}"), data.get(f"mg_{i}")
            if t is None and mg is None:
                continue
            if t is None:
                self.add_error(f"time_{i}", _("Give the time you take this dose."))
                continue
            if mg is None:
                self.add_error(f"mg_{i}", _("Give how many mg you take at this time."))
                continue
            if t in regimen:
                self.add_error(f"time_{i}", _("This time is already listed: put both amounts in one row."))
                continue
            regimen[t] = mg
        data["regimen"] = dict(sorted(regimen.items()))
        amount, unit = data.get("duration"), data.get("duration_unit")
        if amount is not None and unit:
            weeks = weeks_of(amount, unit)
            if weeks > MAX_WEEKS:
                self.add_error("duration", _("That is more than 80 years: check the number and the unit."))
            data["duration_weeks"] = weeks
        drug = data.get("drug")
        products = data.get("products") or []
        if drug:
            mine = {p.id for p in catalogue().products_for(drug, self.region)}
            wrong = [p for p in products if p not in mine]
            if wrong:
                self.add_error("products", _("Tick only forms of the medicine you chose above."))
        if data.get("pregnant") and data.get("breastfeeding") is None:
            data["breastfeeding"] = False
        return data

    def answers(self) -> ScreenAnswers:
        d = self.cleaned_data
        return ScreenAnswers(
            age=d["age"],
            pregnant=d["pregnant"],
            breastfeeding=d["breastfeeding"],
            conditions=frozenset(d["conditions"]),
            comedications=frozenset(d["comedications"]),
            adjuncts=frozenset(d["adjuncts"]),
            pdmp=d.get("pdmp") or "unsure",
            use=Use(
                drug=d["drug"],
                daily_dose_mg=sum(d["regimen"].values(), Decimal(0)),
                duration_weeks=Decimal(d["duration_weeks"]),
                days_per_week=d["days_per_week"],
            ),
        )


METHOD_LABELS = {
    "percent": _("Percent of the current dose"),
    "hyperbolic": _("Hyperbolic (equal occupancy steps)"),
    "linear": _("Linear (the same mg each cut)"),
    "crossover": _("Switch to diazepam, then taper"),
}
CUT_ORDER_LABELS = {
    "evening-last": _("Evening dose last"),
    "morning-last": _("Morning dose last"),
}
SWITCH_ORDER_LABELS = {
    "evening-first": _("Evening dose first (as Ashton's schedules)"),
    "morning-first": _("Morning dose first"),
}
EQUIVALENCE_LABELS = {"ashton": _("Ashton manual"), "vadod": _("VA/DoD guideline"), "nhsscot": _("NHS Scotland")}


class PlanBuilderForm(forms.Form):
    """The plan's parameters; the member's drug and current doses come from their record, not from this form."""

    method = forms.ChoiceField(
        label=_("Schedule"), choices=[(m, METHOD_LABELS[m]) for m in METHODS if m != "custom"], initial="percent"
    )
    step = forms.DecimalField(
        label=_("Cut size"),
        required=False,
        min_value=Decimal("0.1"),
        max_value=Decimal(100),
        help_text=_(
            "Percent schedule and switch: % of the current dose at each cut (blank: 10). Linear: mg at each cut. "
            "Hyperbolic: percentage points of modelled occupancy (blank: 1)."
        ),
    )
    every_days = forms.IntegerField(label=_("Days between cuts"), min_value=1, max_value=365, initial=14)
    start = forms.DateField(
        label=_("First day of the plan"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )
    stabilise_days = forms.IntegerField(
        label=_("Stabilisation before the first cut (days)"), min_value=0, max_value=365, initial=14
    )
    products = forms.MultipleChoiceField(
        label=_("Products the plan may use"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Empty: the member's own products from intake (the region's usual ones if they named none)."),
    )
    cut_order = forms.ChoiceField(
        label=_("Order of cuts"),
        help_text=_("The largest dose is cut first; this decides between equal doses."),
        choices=[(c, CUT_ORDER_LABELS[c]) for c in CUT_ORDERS],
        initial="evening-last",
    )
    micro_steps = forms.BooleanField(
        required=False,
        label=_("Daily micro-steps"),
        help_text=_("Each cut spread over the days of its step in small daily reductions; needs a liquid."),
    )
    slow_end = forms.BooleanField(
        required=False,
        label=_("Slower near the end"),
        help_text=_("Steps lengthen as the dose falls, up to twice the days between cuts near the end."),
    )
    switch_order = forms.ChoiceField(
        label=_("Switch to diazepam: which dose first"),
        choices=[(c, SWITCH_ORDER_LABELS[c]) for c in SWITCH_ORDERS],
        initial="evening-first",
        required=False,
        help_text=_("Only for the switch to diazepam."),
    )
    age = forms.IntegerField(
        label=_("Age in years"),
        required=False,
        min_value=16,
        max_value=120,
        help_text=_("From 65: older-adult notes, and diazepam steps last longer (its half-life roughly doubles)."),
    )
    liver_disease = forms.BooleanField(
        required=False,
        label=_("Liver disease"),
        help_text=_("A switch to diazepam then needs a specialist's advice, recorded as the switch override reason."),
    )
    crossover_override = forms.CharField(
        label=_("Switch override reason"),
        required=False,
        max_length=500,
        help_text=_(
            "Only to switch above diazepam 40 mg a day (the program's ceiling) or with liver disease; recorded "
            "with the plan and shown on every copy of it."
        ),
    )
    dose_grid_mg = forms.DecimalField(
        label=_("Dose grid (mg)"),
        required=False,
        min_value=Decimal("0.001"),
        max_value=Decimal(100),
        help_text=_(
            "Optional: keep every dose a multiple of this where a cut allows (e.g. 0.05 mg clonazepam, 0.5 mg "
            "diazepam), so fewer products make every dose. After a switch, in diazepam mg."
        ),
    )
    mix_liquids = forms.BooleanField(
        required=False,
        label=_("Allow two strengths of one liquid"),
        help_text=_(
            "Off: a plan uses one concentration of a drug's liquid. On: it may use two (e.g. 0.1 mg/mL suspension "
            "and 2.5 mg/mL drops), and every copy of the plan warns about it."
        ),
    )
    equivalence = forms.ChoiceField(label=_("Diazepam equivalence table"), required=False)
    max_step_percent = forms.DecimalField(
        label=_("Largest cut allowed (%)"),
        min_value=Decimal(1),
        max_value=Decimal(25),
        initial=Decimal(10),
        help_text=_("Guardrail: 10 by default, never above 25."),
    )
    min_step_days = forms.IntegerField(
        label=_("Shortest step allowed (days)"),
        min_value=1,
        max_value=365,
        initial=14,
        help_text=_("Guardrail: never below about 5 half-lives of the drug."),
    )
    override = forms.CharField(
        label=_("Override reason"),
        required=False,
        max_length=500,
        help_text=_("Only to go past a default guardrail; recorded with the plan."),
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    # Guardrail settings only a clinician may change; a member's proposal always uses the defaults.
    # The person's age and liver disease come from intake for a member (a proposal cannot change them).
    CLINICIAN_ONLY = (
        "max_step_percent",
        "min_step_days",
        "override",
        "equivalence",
        "age",
        "liver_disease",
        "crossover_override",
        "mix_liquids",
    )
    # How the page groups the fields: (legend, field names).
    GROUPS = (
        (_("Pace"), ("method", "step", "every_days", "start", "stabilise_days", "slow_end")),
        (
            _("Products and order of cuts"),
            ("products", "cut_order", "micro_steps", "dose_grid_mg", "mix_liquids", "switch_order"),
        ),
        (_("The person"), ("age", "liver_disease")),
        (
            _("Guardrails"),
            ("max_step_percent", "min_step_days", "equivalence", "override", "crossover_override"),
        ),
        (_("For the record"), ("note",)),
    )

    def __init__(
        self,
        *args: Any,
        region: str,
        drug: str,
        clinician: bool,
        own_products: tuple[str, ...] = (),
        person: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        # The person's age and liver disease from intake: the plan's inputs unless a clinician changes them.
        self.person = person or {}
        # The member's own products (ids from intake): ticked at first, and used when nothing is ticked.
        self.own_products = own_products
        self.fields["products"].choices = product_choices(region, drug)
        self.fields["products"].initial = list(own_products)
        if not clinician:
            for name in self.CLINICIAN_ONLY:
                del self.fields[name]
        else:
            tables = catalogue().drug(drug).equivalence
            self.fields["equivalence"].choices = [("", _("Plan default"))] + [
                (e, f"{EQUIVALENCE_LABELS.get(e, e)}: {tables[e].value:g} mg = 10 mg diazepam")
                for e in EQUIVALENCE_SOURCES
                if e in tables and tables[e].value is not None
            ]

    def groups(self) -> list[tuple[str, list[forms.BoundField]]]:
        """The fields this reader may set, in the page's groups (a member has no guardrail group)."""
        out = []
        for legend, names in self.GROUPS:
            bound = [self[n] for n in names if n in self.fields]
            if bound:
                out.append((str(legend), bound))
        return out

    def clean_start(self) -> date:
        start: date = self.cleaned_data["start"]
        if start.year < 2000 or start.year > 2100:
            raise ValidationError(_("Give a start date between 2000 and 2100."))
        return start

    def request(self, drug: str, regimen: tuple[tuple[time, Decimal], ...], region: str) -> PlanRequest:
        d = self.cleaned_data
        defaults = PlanRequest(drug=drug, regimen=regimen, start=d["start"])
        return PlanRequest(
            drug=drug,
            regimen=regimen,
            start=d["start"],
            method=d["method"],
            step=d.get("step"),
            every_days=d["every_days"],
            max_step_percent=d.get("max_step_percent", defaults.max_step_percent),
            min_step_days=d.get("min_step_days", defaults.min_step_days),
            region=region,
            products=tuple(d["products"]) or self.own_products or None,
            stabilise_days=d["stabilise_days"],
            cut_order=d["cut_order"],
            micro_steps=d["micro_steps"],
            dose_grid_mg=d.get("dose_grid_mg"),
            mix_liquids=bool(d.get("mix_liquids")),
            equivalence=d.get("equivalence") or None,
            override=(d.get("override") or "").strip() or None,
            age=d["age"] if "age" in d else self.person.get("age"),
            liver_disease=d["liver_disease"] if "liver_disease" in d else bool(self.person.get("liver_disease")),
            switch_order=d.get("switch_order") or "evening-first",
            crossover_override=(d.get("crossover_override") or "").strip() or None,
            slow_end=d["slow_end"],
        )

    # The engine's messages name the command line's options; a clinician reads the form's labels instead.
    FLAGS = (
        # Translators: stands for a command-line option inside a sentence; the label is a field. Fit any label.
        (re.compile(r'--override\s+"reason"'), "override", _("an “%(label)s”")),
        # Translators: stands for a command-line option inside a sentence; the label is a field. Fit any label.
        (re.compile(r'--crossover-override\s+"reason"'), "crossover_override", _("a “%(label)s”")),
        # Translators: stands for a command-line option inside a sentence; the label is a field. Fit any label.
        (re.compile(r"--method\s+crossover"), "method", _("the “%(choice)s” schedule")),
        # Translators: stands for a command-line option inside a sentence; the label is a field. Fit any label.
        (re.compile(r"--step\s+([0-9.]+)\s*mg"), "step", _("a “%(label)s” of \\1 mg")),
        # Translators: stands for a command-line option inside a sentence; the label is a field. Fit any label.
        (re.compile(r"--max-step\b"), "max_step_percent", _("“%(label)s”")),
        (re.compile(r"--min-step\b"), "min_step_days", _("“%(label)s”")),
        (re.compile(r"--step\b"), "step", _("“%(label)s”")),
        (re.compile(r"--every\b"), "every_days", _("“%(label)s”")),
        (re.compile(r"--equivalence\b"), "equivalence", _("“%(label)s”")),
        (re.compile(r"--products\b"), "products", _("“%(label)s”")),
        (re.compile(r"--mix-liquids\b"), "mix_liquids", _("“%(label)s”")),
        (re.compile(r"--dose-grid\b"), "dose_grid_mg", _("“%(label)s”")),
    )

    # The engine's messages that name command-line options, as whole sentences that name the builder's fields
    # instead (`said`): each field's label, in the reader's language, is a parameter (`field_<name>`), so no
    # sentence is patched together from pieces of two languages.
    SENTENCES = {
        "guardrail.max-step": gettext_noop(
            "step %(step)s (from %(day)s) cuts %(percent)s%%, above the %(limit)s%% maximum per step: use smaller "
            "cuts or raise “%(field_max_step_percent)s” (at most 25%%)"
        ),
        "guardrail.window": gettext_noop(
            "by %(day)s the dose has fallen %(percent)s%% within 14 days, more than the %(limit)s%% the 2025 joint "
            "guideline allows: slow down, or record the clinician's reason in “%(field_override)s”"
        ),
        "guardrail.crossover-top": gettext_noop(
            "the switch reaches %(mg)s mg/day of diazepam, above the %(ceiling_mg)s mg/day ceiling for a switch (a "
            "program choice): switch from a lower dose, or record the clinician's reason in "
            "“%(field_crossover_override)s”"
        ),
        "guardrail.step-length": gettext_noop(
            "the cut on %(day)s comes %(gap)s days after the previous change on %(previous)s; steps must last at "
            "least %(need)s days: make “%(field_every_days)s” longer (or lower “%(field_min_step_days)s”, never "
            "below 5 half-lives)"
        ),
        "guardrail.step-length-older": gettext_noop(
            "the cut on %(day)s comes %(gap)s days after the previous change on %(previous)s; steps must last at "
            "least %(need)s days (about 5 half-lives of %(drug)s at age %(age)s, when its half-life roughly "
            "doubles): make “%(field_every_days)s” longer"
        ),
        "guardrail.percent-step": gettext_noop(
            "a %(step)s%% step is larger than the %(limit)s%% maximum per step: choose a smaller “%(field_step)s” "
            "or raise “%(field_max_step_percent)s” (at most %(most)s%%)"
        ),
        "guardrail.linear-step": gettext_noop(
            "a linear cut of %(mg)s mg is %(percent)s%% of %(total_mg)s mg, above the %(limit)s%% maximum per step: "
            "choose a smaller “%(field_step)s” or raise “%(field_max_step_percent)s”"
        ),
        "guardrail.crossover-ceiling": gettext_noop(
            "switching %(mg)s mg/day of %(drug)s gives %(diazepam_mg)s mg/day of diazepam (%(source)s), above the "
            "%(ceiling_mg)s mg/day this program allows in a switch (a program choice: the Ashton Manual's schedules "
            "start no higher than diazepam %(ceiling_mg)s mg/day): taper %(drug)s directly to %(below_mg)s mg/day "
            "or below first and switch from there, or record the clinician's reason for a larger diazepam dose in "
            "“%(field_crossover_override)s”"
        ),
        "guardrail.crossover-liver": gettext_noop(
            "with liver disease, avoid a switch to diazepam without specialist advice (PrescQIPP): taper %(drug)s "
            "directly, or ask a specialist (oxazepam or lorazepam are preferred in liver disease; this engine "
            "switches only to diazepam); to switch anyway, record the specialist's advice in "
            "“%(field_crossover_override)s”"
        ),
        "error.hint-ask-or-switch": gettext_noop(
            "ask the pharmacist about the %(product)s (%(regions)s; a plan with it reaches the end), or choose the "
            "schedule “%(crossover)s”"
        ),
        "error.switch-works": gettext_noop("a switch to diazepam does (the schedule “%(crossover)s”)"),
        "input.crossover-equivalence": gettext_noop(
            "a switch to diazepam needs the equivalence table chosen by the clinician in “%(field_equivalence)s” "
            "(%(choices)s); sources disagree, so the program never picks one"
        ),
        "input.linear-step": gettext_noop(
            "the linear schedule needs a fixed cut in mg in “%(field_step)s”, for example 0.125mg"
        ),
        "input.max-step": gettext_noop(
            "“%(field_max_step_percent)s” must be above 0%% and at most %(limit)s%% (the guideline ceiling for any 2 "
            "weeks); it was %(got)s%%"
        ),
        "kit.no-defaults": gettext_noop(
            "there are no default products for %(drug)s in %(region)s: choose them in “%(field_products)s”"
        ),
    }
    # Engine messages naming options that only the command line takes (files, the screening tool): the builder
    # never shows them, so they need no builder sentence.
    COMMAND_LINE_ONLY = frozenset(
        {"input.csv-times", "input.custom-needs-csv", "input.not-a-plan", "input.screen-missing"}
    )

    @classmethod
    def said(cls, message: EngineMessage | str, sentence: bool = True) -> str:
        """An engine message in the reader's language, naming the builder's fields where the engine names
        command-line options (`SENTENCES`); begun with a capital when it is a `sentence` of its own. A plain
        text (from before codes) goes through `words`."""
        if isinstance(message, str):
            return cls.words(message, sentence)
        text = cls._said(message)
        return text[:1].upper() + text[1:] if sentence else text

    @classmethod
    def _said(cls, message: EngineMessage) -> str:
        # Nested messages (a hint inside a refusal) are said first, then put in as they are.
        params: dict[str, Any] = {}
        for name, value in message.params.items():
            if isinstance(value, EngineMessage):
                value = EngineMessage.legacy(cls._said(value))
            elif isinstance(value, tuple):
                value = tuple(EngineMessage.legacy(cls._said(v)) for v in value)
            params[name] = value
        template = cls.SENTENCES.get(message.code)
        if template is None:
            return cls.words(engine_text(EngineMessage(message.code, params)), sentence=False)
        values = {name: param_text(v.english() if isinstance(v, EngineMessage) else v) for name, v in params.items()}
        values |= {f"field_{name}": str(field.label) for name, field in cls.base_fields.items()}
        values["crossover"] = str(METHOD_LABELS["crossover"])
        try:
            return gettext(template) % values
        except (KeyError, ValueError, TypeError):  # a translation that dropped a placeholder: English instead
            return template % values

    @classmethod
    def words(cls, message: str, sentence: bool = True) -> str:
        """An engine message with each command-line option replaced by the builder field it means (any other
        option, one the builder does not offer, loses its dashes); begun with a capital when it is a `sentence`
        of its own."""
        for pattern, name, wording in cls.FLAGS:
            field = cls.base_fields[name]
            text = str(wording) % {"label": field.label, "choice": METHOD_LABELS["crossover"]}
            message = pattern.sub(text, message)
        message = re.sub(r"(?<![\w-])--(?=[a-z])", "", message)
        return message[:1].upper() + message[1:] if sentence else message


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (recorded)"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}), strip=True
    )


class SignalDecisionForm(forms.Form):
    """The clinician's decision on a signal waiting for them (a red flag, or a rise since a cut)."""

    signal = forms.ChoiceField(choices=[("red-flag", "red-flag"), ("rise", "rise")], widget=forms.HiddenInput)
    day = forms.DateField(widget=forms.HiddenInput)
    decision = forms.ChoiceField(
        label=_("Your decision"),
        choices=[
            ("continue", _("Continue with the plan")),
            ("hold", _("Hold: the member stays on today's dose for one more step")),
            ("return", _("Return to the previous dose (then draft it in a new revision)")),
            ("referred", _("Referred to urgent or supervised care")),
        ],
    )
    reason = forms.CharField(
        label=_("Reason (recorded)"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}), strip=True
    )


class ApproveForm(ReasonForm):
    first_cut = forms.BooleanField(label=_("The first cut can go ahead too"), required=False)


class HoldRequestForm(forms.Form):
    days = forms.IntegerField(
        label=_("How many more days would you like to stay on your current dose?"),
        min_value=3,
        max_value=90,
        initial=14,
    )
    message = forms.CharField(
        label=_("Anything you want your clinician to know (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class HoldDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("approve", _("Approve: add the hold to the plan")), ("discuss", _("Discuss first"))],
        widget=forms.RadioSelect,
    )
    days = forms.IntegerField(min_value=1, max_value=90, required=False)
    response = forms.CharField(
        label=_("Message to the member"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("decision") == "approve" and not data.get("days"):
            self.add_error("days", _("Give the number of days to hold."))
        return data


# Each trend threshold named for a clinician, with its unit (the engine's keys are its own: data/trends.toml).
THRESHOLD_LABELS = {
    "stable_days_required": _("Stable days needed before the first cut (days)"),
    "stable_tolerance": _("Tolerance for a stable day (diary points)"),
    "baseline_days": _("Days in the baseline before a cut (days)"),
    "recent_days": _("Days in the current level (days)"),
    "onset_days": _("Days for withdrawal to show after a cut (days)"),
    "diary_rise_hold": _("Diary rise that suggests a hold (diary points)"),
    "ciwa_rise_hold": _("CIWA-B rise that suggests a hold (CIWA-B points)"),
    "ciwa_contact": _("CIWA-B score that calls for the clinician now (CIWA-B points)"),
    "diary_contact": _("Diary mean that calls for the clinician now (diary points)"),
    "symptom_worst_contact": _("One symptom's score that calls for the clinician now (diary points)"),
    "mood_lowest_contact": _("Mood score that calls for the clinician now (mood points)"),
    "return_after_days": _("Days after a cut before suggesting a return to the previous dose (days)"),
    "red_flag_days": _("Days a red flag keeps 'contact now' (days)"),
    "missed_window_days": _("Days over which missed doses are counted (days)"),
    "missed_hold": _("Missed doses that hold the next cut (doses)"),
    "missed_contact": _("Missed doses that call for a talk with the clinician (doses)"),
    "checkin_gap_days": _("Days without a check-in before a cut waits (days)"),
    "ciwa_every_days": _("Days between CIWA-B questionnaires (days)"),
    "ciwa_after_cut_days": _("Days after a cut before a CIWA-B is asked for (days)"),
    "followup_weekly_weeks": _("Weeks of weekly follow-up after the last dose (weeks)"),
    "followup_monthly_days": _("Days between follow-up check-ins after that (days)"),
    "screen_every_days": _("Days between the PHQ-9, GAD-7 and AUDIT-C (days)"),
}


class ThresholdsForm(forms.Form):
    """Every trend threshold for one member, with its unit, source and why; blank = the packaged default."""

    reason = forms.CharField(label=_("Reason (recorded)"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, current: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, t in thresholds().items():
            whole = isinstance(t.value, int)
            field: forms.Field = (
                forms.IntegerField(min_value=1, max_value=3650)
                if whole
                else forms.DecimalField(min_value=0, max_value=80, decimal_places=2)
            )
            field.required = False
            field.label = THRESHOLD_LABELS.get(name, f"{name.replace('_', ' ')} ({data_text(t.unit)})")
            field.help_text = _("Default %(v)s. %(why)s Source: %(s)s.") % {
                "v": t.value,
                "why": data_text(t.why),
                "s": t.source,
            }
            field.initial = current.get(name)
            self.fields[name] = field
        self.order_fields([*thresholds(), "reason"])

    def overrides(self) -> dict[str, str]:
        """Only the values that differ from the packaged defaults, as text."""
        out = {}
        for name, t in thresholds().items():
            value = self.cleaned_data.get(name)
            if value is not None and Decimal(value) != Decimal(t.value):
                out[name] = str(value)
        return out


class BreakGlassForm(forms.Form):
    reason = forms.CharField(
        label=_("Why you must see this record now"),
        help_text=_("At least 20 characters. The member and their clinician will read this."),
        min_length=20,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
