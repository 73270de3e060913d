"""The engine speaks in message codes with parameters; every code has an English template that renders."""

import ast
import re
from pathlib import Path

import pytest

import slowtaper.taper as taper
from conftest import make_request
from slowtaper.taper._messages import DATA, LEGACY, TEMPLATES, Message, placeholders

DOMAIN = Path(taper.__file__).parent
CODE = re.compile(
    r"^(guardrail|plan|revise|dose|trend|member|signal|due|triage|portion|product|error|screen|score|unknown|input|kit|assumption|pk|method|dispense)\.[a-z0-9.-]+$"
)


def _emitted_codes() -> set[str]:
    """Every string in the engine (outside the catalogue) that has the shape of a message code."""
    found = set()
    for path in DOMAIN.glob("*.py"):
        if path.name == "_messages.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and CODE.match(node.value):
                found.add(node.value)
    return found


def test_every_code_the_engine_emits_has_an_english_template():
    emitted = _emitted_codes()
    assert emitted, "the scan found no codes"
    assert sorted(emitted - set(TEMPLATES)) == []


def test_no_template_is_left_without_a_code_that_emits_it():
    assert sorted(set(TEMPLATES) - _emitted_codes() - {LEGACY, DATA}) == []


@pytest.mark.parametrize("code", sorted(TEMPLATES))
def test_templates_use_named_placeholders_only(code):
    template = TEMPLATES[code]
    # Every % is either a named placeholder or a literal %%; a bare %s or %d cannot be reordered by a translator.
    stripped = re.sub(r"%\(\w+\)s|%%", "", template)
    assert "%" not in stripped, template
    assert template % dict.fromkeys(placeholders(template), "x")


def test_a_message_cannot_be_made_with_an_unknown_code_or_a_missing_parameter():
    with pytest.raises(ValueError, match="unknown message code"):
        Message("plan.no-such-thing")
    with pytest.raises(ValueError, match="lacks mg"):
        Message("plan.maintenance-end", {})


def test_a_message_survives_json_and_renders_the_same():
    inner = Message("dose.daily", {"mg": "0.5", "drug": "alprazolam"})
    m = Message("revise.hold", {"days": 7, "day": "2026-01-05", "daily": (inner, inner)})
    again = Message.from_dict(m.to_dict())
    assert again == m and hash(again) == hash(m)
    assert (
        str(again) == "Revised: hold of 7 days from 2026-01-05 at 0.5 mg/day of alprazolam, 0.5 mg/day of alprazolam."
    )


def test_rendering_applies_the_translation_to_every_template_but_not_to_stored_old_text():
    inner = Message("dose.daily", {"mg": "0.5", "drug": "alprazolam"})
    m = Message("revise.hold", {"days": 7, "day": "2026-01-05", "daily": (inner,)})
    marked = m.render(lambda template: f"<{template}>")
    assert marked == "<Revised: hold of 7 days from 2026-01-05 at <0.5 mg/day of alprazolam>.>"
    assert Message.legacy("Old text, 50%").render(lambda template: f"<{template}>") == "Old text, 50%"


def test_a_parameter_that_would_change_in_json_is_refused():
    from datetime import date
    from decimal import Decimal

    with pytest.raises(ValueError, match="pass it as text"):
        Message("plan.maintenance-end", {"mg": Decimal("0.5")})
    with pytest.raises(ValueError, match="pass it as text"):
        Message("due.ciwa-after-cut", {"day": date(2027, 1, 1)})


def test_every_engine_error_carries_a_message_and_guardrails_a_code():
    from datetime import date, time
    from decimal import Decimal

    from slowtaper.taper import GuardrailViolation, InvalidInput, PlanRequest, build_plan

    request = PlanRequest(
        drug="clonazepam", regimen=((time(22), Decimal(1)),), start=date(2027, 1, 1), step=Decimal(20)
    )
    with pytest.raises(GuardrailViolation) as caught:
        build_plan(request)
    assert caught.value.message.code == "guardrail.percent-step" and caught.value.rule == "max-step"
    assert str(caught.value) == caught.value.message.english()
    # An error not given a code yet keeps its English as a stored text.
    error = InvalidInput("no dose times given")
    assert error.message == Message.legacy("no dose times given") and str(error) == "no dose times given"


def test_assumptions_travel_as_messages_and_plans_stored_before_read_back_in_english():
    plan = taper.build_plan(make_request(method="hyperbolic"))
    data = taper.plan_to_dict(plan)
    ec50 = next(a for a in data["assumptions"] if a["messages"]["name"]["code"] == "assumption.ec50")
    assert ec50["name"] == "EC50 (modelled)" and "diazepam-equivalent" in ec50["value"]
    assert taper.plan_from_dict(data).assumptions == plan.assumptions
    # A plan stored before assumptions had codes: its English stays, as stored texts.
    for a in data["assumptions"]:
        del a["messages"]
    old = taper.plan_from_dict(data).assumptions
    assert [str(a.name) for a in old] == [str(a.name) for a in plan.assumptions]
    assert {a.name.code for a in old} == {LEGACY}
    assert [str(a.note) if a.note else "" for a in old] == [str(a.note) if a.note else "" for a in plan.assumptions]


def test_refusals_carry_a_code_and_their_english():
    with pytest.raises(taper.UnknownDrug) as unknown:
        taper.catalogue().drug("foo")
    assert unknown.value.message.code == "unknown.drug" and str(unknown.value).startswith("unknown drug 'foo'")
    with pytest.raises(taper.InvalidInput) as bad:
        taper.checkin_from_dict({"date": "2027-01-04", "mood": 9})
    assert bad.value.message.code == "input.checkin-at"
    assert (
        str(bad.value)
        == "check-in 2027-01-04: mood must be a whole number from 0 to 4 (or null if not answered), got 9"
    )
