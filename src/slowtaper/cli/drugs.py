"""`slowtaper drugs`: the catalogue, or one drug in full, each figure with its source."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from ._app import app
from ._common import dump, out
from ._i18n import _


@app.command()
def drugs(
    drug: Annotated[str | None, typer.Argument(help="A drug to show in full, e.g. clonazepam.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List the catalogue, or one drug's figures, equivalents and products, each with its source.

    Example: slowtaper drugs clonazepam
    """
    from slowtaper.taper import catalogue, drug_summary_to_dict, drug_to_dict

    cat = catalogue()
    if drug is None:
        rows = [drug_summary_to_dict(d) for d in cat.drugs.values()]
        if as_json:
            dump(rows)
            return
        _print_list(rows)
        return
    d = cat.drug(drug)
    data = drug_to_dict(d)
    if as_json:
        dump(data)
        return
    from rich.table import Table

    out().print(f"{d.name} ({d.drug_class})", style="bold")
    table = Table(title=_("Figures"))
    for col in (_("figure"), _("value (range)"), _("source"), _("note")):
        table.add_column(col)
    for name, f in data["figures"].items():
        table.add_row(name, f["text"], f["source"], f["note"])
    out().print(table)
    eq = Table(title=_("Diazepam equivalence (mg of this drug ≈ 10 mg diazepam); sources disagree"))
    for col in (_("source"), "mg", _("citation"), _("note")):
        eq.add_column(col)
    for key, f in data["equivalence"].items():
        eq.add_row(key, f["text"], f["source"], f["note"])
    out().print(eq)
    for m in data["metabolites"]:
        line = _("Metabolite: %(name)s (active).") if m["active"] else _("Metabolite: %(name)s (inactive).")
        out().print(f"{line % {'name': m['name']}} {m['note']}")
    pt = Table(title=_("Products"))
    for col in (_("product"), _("regions"), _("default in"), _("source")):
        pt.add_column(col)
    for p in data["products"]:
        pt.add_row(p["description"], ", ".join(p["regions"]), ", ".join(p["default_in"]) or "-", p["source"])
    out().print(pt)
    out().print(_("Shortest step (about 5 half-lives): %(days)s days.") % {"days": d.min_step_days()})
    used = {f["source"] for f in data["figures"].values()} | {f["source"] for f in data["equivalence"].values()}
    used |= {p["source"] for p in data["products"]}
    out().print(_("Sources:"))
    for key in sorted(used):
        src = cat.sources[key]
        out().print(f"  {key}: {src.citation}{' ' + src.url if src.url else ''}")


def _print_list(rows: list[dict[str, Any]]) -> None:
    from rich.table import Table

    table = Table(title=_("Drugs (equivalents: mg ≈ 10 mg diazepam)"))
    for col in (_("drug"), _("class"), _("half-life h"), "ashton", "vadod", "nhsscot"):
        table.add_column(col)
    for r in rows:
        eq = r["equivalence"]
        table.add_row(
            r["id"],
            r["class"],
            f"{r['half_life_h']['text']} ({r['half_life_h']['source']})",
            *(eq.get(k, {}).get("text", "-") for k in ("ashton", "vadod", "nhsscot")),
        )
    out().print(table)
    out().print(_("[unverified] marks figures recalled, not re-read in the source. Details: slowtaper drugs NAME"))
