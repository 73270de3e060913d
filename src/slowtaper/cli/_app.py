"""The Typer application every command module registers on."""

import typer

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Slow, guarded benzodiazepine and Z-drug tapers that real tablets and liquids can make exactly. "
    "The software proposes; the clinician decides.",
)


@app.callback()
def _options(
    lang: str | None = typer.Option(
        None,
        "--lang",
        help="Language of the output, e.g. es (default: from LANGUAGE or LANG; JSON output is the same in every "
        "language).",
    ),
) -> None:
    # `main` takes --lang out of the arguments wherever it stands; this serves `--help` and callers of `app`.
    if lang is not None:
        from ._i18n import activate

        activate(lang)
