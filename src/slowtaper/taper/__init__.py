"""The taper engine: pure Python and numpy, no Django, no clock, no I/O beyond its packaged data.

Dates ("today", a plan's start) are always arguments. Amounts of drug are `Decimal` milligrams.
The names below are the engine's whole public surface; a test pins them.
"""

from ._catalogue import REGIONS, Catalogue, Drug, Figure, Metabolite, Product, Source, catalogue, plain
from ._dispense import DispenseLine, Dispensing, dispense, dispense_by_step, fill_periods
from ._exceptions import (
    DoseNotAchievable,
    GuardrailViolation,
    InvalidInput,
    NotModelled,
    TaperError,
    UnknownDrug,
    UnknownProduct,
)
from ._guardrails import check_plan
from ._pk import (
    DailySummary,
    PKParams,
    Simulation,
    dose_events,
    occupancy,
    population_daily,
    sample_population,
    simulate,
    simulate_plan,
    steady_state_mean,
    time_to_90,
    typical_params,
)
from ._plan import (
    CUT_ORDERS,
    EQUIVALENCE_SOURCES,
    METHODS,
    Assumption,
    Dose,
    Plan,
    PlanRequest,
    Step,
    build_plan,
    parse_custom_csv,
)
from ._realise import Kit, Portion, describe_portions
from ._revise import insert_hold, return_to_previous
from ._serialize import plan_from_dict, plan_to_dict

__all__ = [
    "CUT_ORDERS",
    "EQUIVALENCE_SOURCES",
    "METHODS",
    "REGIONS",
    "Assumption",
    "Catalogue",
    "DailySummary",
    "DispenseLine",
    "Dispensing",
    "Dose",
    "DoseNotAchievable",
    "Drug",
    "Figure",
    "GuardrailViolation",
    "InvalidInput",
    "Kit",
    "Metabolite",
    "NotModelled",
    "PKParams",
    "Plan",
    "PlanRequest",
    "Portion",
    "Product",
    "Simulation",
    "Source",
    "Step",
    "TaperError",
    "UnknownDrug",
    "UnknownProduct",
    "build_plan",
    "catalogue",
    "check_plan",
    "describe_portions",
    "dispense",
    "dispense_by_step",
    "dose_events",
    "fill_periods",
    "insert_hold",
    "occupancy",
    "parse_custom_csv",
    "plain",
    "plan_from_dict",
    "plan_to_dict",
    "population_daily",
    "return_to_previous",
    "sample_population",
    "simulate",
    "simulate_plan",
    "steady_state_mean",
    "time_to_90",
    "typical_params",
]
