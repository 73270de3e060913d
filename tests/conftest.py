"""Shared fixtures: a small factory for plan requests, so each test states only what it varies."""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal
from typing import Any

import pytest

from slowtaper.taper import PlanRequest

START = date(2027, 1, 4)


def make_request(**kw: Any) -> PlanRequest:
    """Clonazepam 1 mg at 08:00 and 22:00 from START in the US, unless told otherwise."""
    base: dict[str, Any] = {
        "drug": "clonazepam",
        "regimen": ((time(8), Decimal(1)), (time(22), Decimal(1))),
        "start": START,
    }
    base.update(kw)
    return PlanRequest(**base)


@pytest.fixture
def req():
    return make_request
