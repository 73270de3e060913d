"""The Typer application every command module registers on."""

import typer

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Slow, guarded benzodiazepine and Z-drug tapers that real tablets and liquids can make exactly. "
    "The software proposes; the clinician decides.",
)
