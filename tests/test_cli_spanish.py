"""The command line in Spanish: `--lang es` (or the environment's language) renders its own words, the tables and
the engine's messages through the same catalogues as the web, and `--json` stays the same in every language."""

import json
import os
import re
import subprocess
import sys

import pytest
from django.utils import translation

from slowtaper import taper
from slowtaper.cli import _common, main

PLAN = ["plan", "clonazepam", "2mg", "--times", "08:00=1,22:00=1", "--start", "2027-01-04", "--hold", "28d"]

# Words that are English and not Spanish: any of them in the output means an English sentence leaked.
ENGLISH_WORDS = re.compile(
    r"\b(the|of|and|with|from|within|to|is|are|tablets?|dose|doses|daily|days|steps?|source|period|used|supply|"
    r"whole|clinician|software|assumption|stops|ends|dispensing|scale|band|needs|now|unverified|withdrawal)\b",
    re.IGNORECASE,
)


@pytest.fixture(autouse=True)
def wide_console(monkeypatch):
    """Tables wide enough that no phrase is wrapped inside a cell (the console is made once, so afresh here)."""
    monkeypatch.setenv("COLUMNS", "240")
    _common.out.cache_clear()
    yield
    _common.out.cache_clear()


def run(capsys, monkeypatch, *args, env=None):
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    for name, value in (env or {}).items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    out, err = capsys.readouterr()
    return exit_info.value.code, out, err


def english_in(text: str) -> list[str]:
    return sorted({m.group(0).lower() for m in ENGLISH_WORDS.finditer(text)})


def test_a_plan_in_spanish_has_no_english_sentence(capsys, monkeypatch):
    code, out, err = run(capsys, monkeypatch, "--lang", "es", *PLAN, "--fill", "28d", "--method", "hyperbolic")
    assert code == 0, err
    assert "Reducción de Clonazepam (hiperbólico), del 04/01/2027 al" in out
    assert "Supuesto: equivalencia con diazepam = 0,5 mg de clonazepam = 10 mg de diazepam" in out
    assert "El programa propone; el profesional de salud decide." in out
    assert "08:00 clonazepam 1 mg: 1 comprimido de 1 mg" in out
    assert "Dispensación por periodos de 28 días, con el total de todo el plan" in out
    assert "comprimido de 0,5 mg (se parte en mitades)" in out and "jeringa oral de 1 mL" in out
    assert "estabilización" in out
    assert "0.5" not in out and not re.search(r"\d{4}-\d{2}-\d{2}", out)  # Spanish numbers, no ISO dates
    assert english_in(out) == []


def test_an_assessment_in_spanish_has_no_english_sentence(capsys, monkeypatch, tmp_path):
    ciwa = taper.instrument("ciwa-b")
    answers = tmp_path / "ciwa.json"
    answers.write_text(json.dumps({i.id: 2 for i in ciwa.items}))
    code, out, err = run(capsys, monkeypatch, "--lang", "es", "score", "ciwa-b", str(answers))
    assert code == 0, err
    assert out.startswith("CIWA-B 40 de 80 (abstinencia moderada")
    assert "Nivel 21-40 [fuente:" in out and "Escala: Evaluación de la abstinencia de benzodiacepinas" in out
    # Source keys are names, not words: take them out before looking for English.
    assert english_in(re.sub(r"\[fuente: [^\]]*\]+", "", out)) == []


def test_engine_refusals_and_option_errors_are_spanish(capsys, monkeypatch):
    code, _, err = run(capsys, monkeypatch, "--lang", "es", "plan", "foo", "2mg")
    assert code == 2 and err.startswith("error: medicamento desconocido: 'foo'; medicamentos conocidos: clonazepam")
    code, _, err = run(capsys, monkeypatch, "plan", "clonazepam", "2mg", "--times", "08:00=1", "--lang=es")
    assert code == 2 and "--times suma 1 mg, pero la dosis diaria es de 2 mg" in err


def test_the_environment_chooses_the_language_and_lang_overrides_it(capsys, monkeypatch):
    _, out, _ = run(capsys, monkeypatch, *PLAN, env={"LANG": "es_MX.UTF-8"})
    assert "El programa propone" in out
    _, out, _ = run(capsys, monkeypatch, *PLAN, env={"LANGUAGE": "es:en", "LANG": "C.UTF-8"})
    assert "El programa propone" in out
    _, out, _ = run(capsys, monkeypatch, "--lang", "en", *PLAN, env={"LANG": "es_ES.UTF-8"})
    assert "The software proposes; the clinician decides." in out
    _, out, _ = run(capsys, monkeypatch, *PLAN, env={"LANG": "C"})
    assert "The software proposes; the clinician decides." in out
    _, out, _ = run(capsys, monkeypatch, "--lang", "xx", *PLAN)  # a language with no catalogue is English
    assert "The software proposes; the clinician decides." in out


def test_json_is_the_same_in_every_language_and_the_process_is_english_again(capsys, monkeypatch):
    _, english, _ = run(capsys, monkeypatch, *PLAN, "--json")
    _, spanish, _ = run(capsys, monkeypatch, "--lang", "es", *PLAN, "--json")
    assert spanish == english
    data = json.loads(spanish)
    assumption = data["assumptions"][0]
    assert assumption["name"] == "diazepam equivalence"
    assert assumption["messages"]["name"] == {"code": "assumption.equivalence", "params": {}}
    # A Spanish run leaves nothing behind for the next caller in the same process.
    assert translation.get_language() in (None, "en", "en-us")


def test_a_safety_screen_in_spanish_has_no_english_sentence(capsys, monkeypatch, tmp_path):
    from slowtaper.cli.assess import SCREEN_EXAMPLE

    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps(SCREEN_EXAMPLE))
    code, out, err = run(capsys, monkeypatch, "--lang", "es", "screen", str(answers))
    assert code == 0, err
    assert "Dosis: 2 mg/día de clonazepam" in out and "dosis alta según ashton" in out
    assert "Opioides concomitantes: advertencia de recuadro" in out  # the clinician's wording, translated
    assert "Entorno recomendado:" in out and "El programa propone; el profesional de salud decide." in out
    assert english_in(out) == []


def _slowtaper(*args: str, language: str | None = None) -> subprocess.CompletedProcess[str]:
    """The command as a person runs it, in a process of its own, in `language` (LANGUAGE) or the English of a
    bare environment."""
    env = {k: v for k, v in os.environ.items() if k not in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")}
    env["COLUMNS"] = "200"
    if language:
        env["LANGUAGE"] = language
    return subprocess.run([sys.executable, "-m", "slowtaper.cli", *args], capture_output=True, text=True, env=env)


@pytest.mark.parametrize(
    ("args", "english", "spanish"),
    [
        (["plan", "clonazepam", "2mg", "--bogus"], "No such option '--bogus'.", "No existe la opción '--bogus'."),
        (["plan"], "Missing argument 'DRUG'.", "Falta el argumento 'DRUG'."),
        (["plnn"], "No such command 'plnn'. Did you mean 'plan'?", "No existe el comando 'plnn'. ¿Quiso decir 'plan'?"),
        (
            ["plan", "clonazepam", "2mg", "--times"],
            "Option '--times' requires an argument.",
            "La opción '--times' necesita un valor.",
        ),
        (["plan", "clonazepam", "2mg", "x"], "Got unexpected extra argument (x)", "Sobra un argumento (x)"),
    ],
)  # fmt: skip
def test_click_s_own_usage_errors_are_said_in_spanish_and_unchanged_in_english(args, english, spanish):
    done = _slowtaper(*args)
    assert done.returncode == 2 and done.stderr == f"error: {english}\n"
    for said in (_slowtaper("--lang", "es", *args), _slowtaper(*args, language="es")):
        assert said.returncode == 2 and said.stderr == f"error: {spanish}\n", said.stderr


def test_help_is_in_spanish_and_english_help_is_unchanged():
    spanish = _slowtaper("--lang", "es", "plan", "--help")
    assert spanish.returncode == 0, spanish.stderr
    out = " ".join(spanish.stdout.split())
    assert "Uso: " in out and "plan [OPTIONS] DRUG DOSE" in out and "Argumentos" in out and "Opciones" in out
    assert "Crea un plan de reducción y lo muestra" in out and "Muestra este mensaje y termina." in out
    assert "mg en cada hora de dosis" in out and "[por defecto: 14d]" in out and "[obligatorio]" in out
    # Left in English only what a person types: option names, metavars, values and examples.
    typed = re.sub(r"--[\w-]+|'[^']*'|\b[A-Z_]{2,}\b|\* +\w+", " ", out)  # options, examples, arguments
    assert english_in(typed) == [], english_in(typed)
    top = " ".join(_slowtaper("--help", language="es").stdout.split())
    assert "Comandos" in top and "Muestra el catálogo" in top and "Idioma de la salida" in top
    english = " ".join(_slowtaper("plan", "--help").stdout.split())
    assert "Usage: " in english and "Build a taper plan and print it" in english
    assert "Show this message and exit." in english and "Uso" not in english


def test_a_spanish_plan_as_json_still_loads_neither_rich_nor_numpy():
    probe = (
        "import contextlib, io, json, sys\n"
        "from slowtaper.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n"
        "        main(['--lang', 'es', 'plan', 'clonazepam', '2mg', '--start', '2027-01-04', '--json'])\n"
        "    except SystemExit as exit:\n"
        "        assert exit.code == 0\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert not set(json.loads(done.stdout)) & {"numpy", "rich", "matplotlib", "weasyprint"}


def test_spanish_help_in_a_process_leaves_the_next_english_help_in_english(capsys, monkeypatch):
    code, out, _err = run(capsys, monkeypatch, "--lang", "es", "plan", "--help")
    assert code == 0 and "Argumentos" in out and "Opciones" in out
    code, out, _err = run(capsys, monkeypatch, "plan", "--help")
    assert code == 0 and "Arguments" in out and "Options" in out and "Argumentos" not in out
    assert "Build a taper plan" in out and "Show this message and exit." in out
