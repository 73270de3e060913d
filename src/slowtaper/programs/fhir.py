"""The member's record as a FHIR R5 Bundle, built and validated with fhir.resources.

- one MedicationRequest per drug in the approved plan, with a dosageInstruction per step and dose time,
  `sequence` = the step's position in the plan (steps follow one another), bounded by the step's dates;
- a QuestionnaireResponse per CIWA-B answered, and an Observation per CIWA-B total and diary score.

Texts a person reads are in the active language (the member's: the caller sets it); codes and values are not.

Identifiers are name-based UUIDs (uuid5) so the same record exports the same ids.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from django.utils.translation import get_language
from django.utils.translation import gettext as _
from fhir.resources.bundle import Bundle

from slowtaper.accounts.models import User
from slowtaper.checkins.models import CheckInRecord
from slowtaper.exports import words
from slowtaper.taper import Plan, instrument

from .models import PlanRevision

NAMESPACE = uuid.UUID("6f1d3a52-7a0e-4c39-9d5c-5b2d6c1f0a11")
UCUM = "http://unitsofmeasure.org"
CIWA_B_QUESTIONNAIRE = "https://slowtaper.invalid/fhir/Questionnaire/ciwa-b"


def _urn(*parts: object) -> str:
    return "urn:uuid:" + str(uuid.uuid5(NAMESPACE, "/".join(str(p) for p in parts)))


def _patient(member: User) -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "identifier": [{"system": "https://slowtaper.invalid/member", "value": str(member.pk)}],
        "name": [{"text": str(member)}],
    }


def _medication_requests(member: User, rev: PlanRevision, plan: Plan, patient: str) -> list[dict[str, Any]]:
    out = []
    for drug in plan.drugs:
        instructions = []
        # One sequence per step, in order (the doses of one step share it: they are taken together). Not the
        # engine's reduction number, which a hold shares with its cut and would make two steps look concurrent.
        for position, step in enumerate(plan.steps, start=1):
            for dose in step.doses:
                if dose.drug != drug:
                    continue
                instructions.append(
                    {
                        "sequence": position,
                        "text": _("%(how)s at %(time)s")
                        % {"how": words(dose.how_message()), "time": f"{dose.time:%H:%M}"},
                        "timing": {
                            "repeat": {
                                "boundsPeriod": {
                                    "start": step.start.isoformat(),
                                    "end": (step.end - timedelta(days=1)).isoformat(),
                                },
                                "frequency": 1,
                                "period": 1,
                                "periodUnit": "d",
                                "timeOfDay": [dose.time.strftime("%H:%M:%S")],
                            }
                        },
                        "doseAndRate": [
                            {"doseQuantity": {"value": float(dose.mg), "unit": "mg", "system": UCUM, "code": "mg"}}
                        ],
                    }
                )
        out.append(
            {
                "resourceType": "MedicationRequest",
                "identifier": [{"system": "https://slowtaper.invalid/plan-revision", "value": f"{rev.pk}-{drug}"}],
                "status": "active",
                "intent": "plan",
                "medication": {"concept": {"text": drug}},
                "subject": {"reference": patient},
                "authoredOn": (rev.approved_at or rev.created).isoformat(),
                "note": [
                    {
                        "text": _("Approved revision %(number)s: %(reason)s")
                        % {"number": rev.number, "reason": rev.approval_text}
                    }
                ],
                "dosageInstruction": instructions,
            }
        )
    return out


def _scores(member: User, patient: str) -> list[tuple[str, dict[str, Any]]]:
    out: list[tuple[str, dict[str, Any]]] = []
    scale = instrument("ciwa-b")
    texts = {i.id: i.text for i in scale.items}
    for record in CheckInRecord.objects.filter(member=member).order_by("day", "created"):
        c = record.checkin()
        when = record.created.isoformat()
        if c.ciwa_b is not None:
            qr = _urn("qr", record.pk)
            out.append(
                (
                    qr,
                    {
                        "resourceType": "QuestionnaireResponse",
                        "questionnaire": CIWA_B_QUESTIONNAIRE,
                        "status": "completed",
                        "subject": {"reference": patient},
                        "authored": when,
                        "item": [
                            {"linkId": k, "text": texts.get(k, k), "answer": [{"valueInteger": v}]}
                            for k, v in dict(c.ciwa_b.answers).items()
                        ],
                    },
                )
            )
            out.append(
                (
                    _urn("ciwa", record.pk),
                    {
                        "resourceType": "Observation",
                        "status": "final",
                        "code": {
                            "text": _("CIWA-B total (self-rated items)")
                            if c.ciwa_b.part == "self"
                            else _("CIWA-B total (all items)")
                        },
                        "subject": {"reference": patient},
                        "effectiveDateTime": c.day.isoformat(),
                        "valueInteger": c.ciwa_b.total,
                        "derivedFrom": [{"reference": qr}],
                    },
                )
            )
        burden = c.burden()
        if burden is not None:
            out.append(
                (
                    _urn("diary", record.pk),
                    {
                        "resourceType": "Observation",
                        "status": "final",
                        "code": {"text": _("Withdrawal symptom diary, mean of tracked symptoms (0-4)")},
                        "subject": {"reference": patient},
                        "effectiveDateTime": c.day.isoformat(),
                        "valueQuantity": {"value": float(burden), "unit": "score"},
                    },
                )
            )
    return out


def bundle(member: User, rev: PlanRevision | None = None, plan: Plan | None = None) -> Bundle:
    """A collection Bundle of the member, their approved plan (if any) and their scores; validated on
    construction."""
    patient = _urn("patient", member.pk)
    entries = [{"fullUrl": patient, "resource": _patient(member)}]
    if rev is not None and plan is not None:
        for mr in _medication_requests(member, rev, plan, patient):
            entries.append({"fullUrl": _urn("mr", rev.pk, mr["medication"]["concept"]["text"]), "resource": mr})
    entries += [{"fullUrl": url, "resource": res} for url, res in _scores(member, patient)]
    # The texts a person reads (dosage instructions, notes, the names of the scores) are in the active language,
    # which callers set to the member's; the bundle says which it is.
    return Bundle.model_validate(
        {"resourceType": "Bundle", "language": get_language() or "en", "type": "collection", "entry": entries}
    )
