"""The domain layer stays pure and its public surface stays deliberate."""

import ast
from pathlib import Path

import slowtaper.taper as taper

DOMAIN = Path(taper.__file__).parent

FORBIDDEN_IMPORTS = {"django", "requests", "httpx", "sqlite3", "socket", "subprocess", "matplotlib", "weasyprint"}
FORBIDDEN_CALLS = {
    ("date", "today"),
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("datetime", "today"),
    ("time", "time"),
}


def _modules():
    return sorted(DOMAIN.glob("*.py"))


def test_domain_imports_no_framework_or_io_library():
    for path in _modules():
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] not in FORBIDDEN_IMPORTS, f"{path.name} imports {name}"


def test_domain_reads_no_clock_and_opens_no_files():
    for path in _modules():
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                value = node.func.value
                owner = value.id if isinstance(value, ast.Name) else getattr(value, "attr", "")
                assert (owner, node.func.attr) not in FORBIDDEN_CALLS, f"{path.name} reads the clock"
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id != "open", f"{path.name} opens a file"


def test_public_surface_is_pinned():
    assert sorted(taper.__all__) == sorted(
        [
            "ACTIONS",
            "MESSAGE_TEMPLATES",
            "Message",
            "Adjunct",
            "AdjunctNote",
            "Assumption",
            "Band",
            "CUT_ORDERS",
            "Catalogue",
            "CheckIn",
            "Choice",
            "DOSE_STATUSES",
            "DECISIONS",
            "Decision",
            "SCREENS",
            "Signal",
            "DailySummary",
            "Diary",
            "DispenseLine",
            "Dispensing",
            "Dose",
            "Due",
            "DoseBand",
            "DoseNotAchievable",
            "Drug",
            "EQUIVALENCE_SOURCES",
            "SWITCH_ORDERS",
            "Emergency",
            "Figure",
            "Finding",
            "GuardrailViolation",
            "Instrument",
            "PDMP_ANSWERS",
            "InvalidInput",
            "Item",
            "Kit",
            "METHODS",
            "Metabolite",
            "NotModelled",
            "PKParams",
            "Plan",
            "PlanRequest",
            "Portion",
            "Product",
            "REGIONS",
            "Reason",
            "RedFlag",
            "RedFlagHit",
            "SETTINGS",
            "SEVERITIES",
            "Score",
            "ScreenAnswers",
            "ScreenResult",
            "Screening",
            "Simulation",
            "Source",
            "Step",
            "Suggestion",
            "Symptom",
            "SymptomGroup",
            "TaperError",
            "Threshold",
            "TimelineRow",
            "TrendSettings",
            "Triage",
            "UnknownDrug",
            "UnknownProduct",
            "Use",
            "build_plan",
            "catalogue",
            "check_plan",
            "checkin_from_dict",
            "checkin_to_dict",
            "describe_portions",
            "diary",
            "dispense",
            "dispense_by_step",
            "dose_band",
            "dose_events",
            "due",
            "fill_periods",
            "insert_hold",
            "instrument",
            "instruments",
            "occupancy",
            "parse_custom_csv",
            "plain",
            "plan_from_dict",
            "plan_to_dict",
            "population_daily",
            "postpone_first_cut",
            "return_to_previous",
            "sample_population",
            "screen",
            "screen_answers_from_dict",
            "screen_answers_to_dict",
            "screening",
            "simulate",
            "simulate_plan",
            "steady_state_mean",
            "suggest",
            "thresholds",
            "timeline",
            "time_to_90",
            "trend_settings",
            "triage",
            "typical_params",
            "figure_to_dict",
            "drug_summary_to_dict",
            "drug_to_dict",
            "dispensing_to_dict",
            "screen_result_to_dict",
            "instrument_to_dict",
            "score_to_dict",
            "diary_to_dict",
            "threshold_to_dict",
            "suggestion_to_dict",
            "triage_to_dict",
            "due_to_dict",
            "timeline_row_to_dict",
        ]
    )
    for name in taper.__all__:
        assert hasattr(taper, name)


def test_every_engine_error_shares_one_root():
    for cls in (
        taper.InvalidInput,
        taper.UnknownDrug,
        taper.UnknownProduct,
        taper.DoseNotAchievable,
        taper.GuardrailViolation,
        taper.NotModelled,
    ):
        assert issubclass(cls, taper.TaperError)


def _engine_imports() -> dict[str, set[str]]:
    """Which engine modules each engine module imports (anywhere in it, inside functions too)."""
    graph: dict[str, set[str]] = {}
    for path in _modules():
        found = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                if node.module:
                    found.add(node.module)
                else:
                    found.update(a.name for a in node.names)
        graph[path.stem] = found
    return graph


def test_plan_and_guardrails_do_not_import_each_other():
    graph = _engine_imports()
    assert "_plan" not in graph["_guardrails"]
    assert "_guardrails" not in graph["_values"] and "_plan" not in graph["_values"]
    assert "_values" in graph["_plan"] and "_values" in graph["_guardrails"]


def test_engine_modules_import_each_other_without_a_cycle():
    graph = _engine_imports()

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        return any(n == goal or (n not in seen and reaches(n, goal, seen | {n})) for n in graph.get(start, ()))

    cycles = [m for m in graph if m != "__init__" and reaches(m, m, {m})]
    assert cycles == [], f"engine modules in an import cycle: {cycles}"
