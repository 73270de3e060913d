"""The crisis matcher in Spanish (data/crisis.es.toml) against a corpus of ways people write in Latin America
and Spain: every positive caught with its kind, every negative passed. Written as people post and text: often
without accents or opening question marks, with the idioms that sound like danger and are not ("me muero de
ganas"). When a phrasing is missed or wrongly held, add it here first, then mend the data file."""

from __future__ import annotations

import tomllib
from importlib.resources import files

import pytest

from slowtaper.community.text import CRISIS_LANGUAGES, crisis_in, crisis_kinds

SUICIDE = [
    "Ya no quiero vivir",
    "ya no quiero vivir así",
    "me quiero matar",
    "quiero matarme esta noche",
    "estoy pensando en suicidarme",
    "tengo pensamientos suicidas otra vez",
    "tengo ideas suicidas",
    "quiero quitarme la vida",
    "voy a acabar con todo",
    "quiero acabar con mi vida",
    "quiero morir",
    "me quiero morir, no aguanto este insomnio",
    "quiero morirme",
    "ojalá estuviera muerta",
    "ojala estuviera muerto",
    "ojala no despertara mañana",
    "preferiría estar muerto que sentir esto",
    "mi familia estaría mejor sin mí",
    "todos estarían mejor sin mi",
    "no tengo razones para vivir",
    "no vale la pena vivir así",
    "no puedo más",
    "ya no puedo mas con esto",
    "no aguanto más",
    "no quiero despertar",
    "quisiera dormir para siempre",
    "me volví a autolesionar, autolesiones otra vez",
    "me corto cuando estoy mal",
    "ayer volví a cortarme",
    "tengo ganas de hacerme daño",
    "escribí una carta de despedida",
    "esto es un adiós",
    "estoy juntando pastillas para cuando no aguante",
    "quiero que todo esto se acabe",
    "pienso en la muerte todo el día, pienso en matarme",
    "suicidio",
]

SEIZURE = [
    "anoche tuve una convulsión",
    "tuve una convulsion",
    "tuve convulsiones después del corte",
    "estaba convulsionando en el piso",
    "me dio un ataque epiléptico",
    "creo que fue una crisis epiléptica",
    "me desmayé en la cocina",
    "perdí el conocimiento un rato",
    "me mordí la lengua y desperté en el suelo",
    "me desperté en el piso sin saber qué pasó",
    "mi cuerpo se sacudía solo",
]

OVERDOSE = [
    "creo que tomé una sobredosis",
    "tomé demasiadas pastillas",
    "me tomé todas las pastillas",
    "me tome toda la caja",
    "me tomé un puñado de clonazepam",
    "doblé la dosis sin querer",
    "no puedo mantenerme despierta",
    "no puedo despertarlo",
    "no puedo respirar bien",
    "apenas respira",
    "tiene los labios morados",
    "mezclé con alcohol",
    "me tomé 3 rivotril con vino",
    "tome las pastillas con cerveza",
    "me tragué 20 pastillas",
    "me tomé treinta comprimidos",
]

PSYCHOSIS = [
    "oigo voces en la noche",
    "escucho voces que me insultan",
    "hay voces en mi cabeza",
    "veo cosas que no están",
    "veo gente que no está ahí",
    "tengo alucinaciones",
    "no sé dónde estoy",
    "no se quien soy",
    "me están vigilando por el teléfono",
    "me persiguen en la calle",
    "todos están en mi contra",
    "la tele me habla",
    "siento bichos bajo la piel",
]

POSITIVE = (
    [(t, "suicide") for t in SUICIDE]
    + [(t, "seizure") for t in SEIZURE]
    + [(t, "overdose") for t in OVERDOSE]
    + [(t, "psychosis") for t in PSYCHOSIS]
)

NEGATIVE = [
    "El descenso va bien, día 20 de este paso",
    "Segunda semana y duermo mejor",
    "No quiero morir, quiero mejorar",
    "no me quiero matar, solo estoy muy cansada",
    "nunca he tenido pensamientos suicidas",
    "sin ideas suicidas, solo triste",
    "No tuve ninguna convulsión, gracias a Dios",
    "nunca tuve convulsiones",
    "no tomé demasiadas, tomé la dosis de siempre",
    "me muero de ganas de contarles",
    "me muero de sueño",
    "me mata la espera del próximo corte",
    "hoy maté el tiempo leyendo",
    "bajamos la dosis de la noche un 10 %",
    "mi médica dijo que podemos bajar 0,05 mg",
    "las pastillas nuevas caben en el pastillero",
    "tomé mi dosis a tiempo",
    "tomé la pastilla de 0,5 mg con agua",
    "la farmacéutica me dio el jarabe y una jeringa",
    "el ejercicio de respiración me ayuda",
    "respira cuatro tiempos, suelta en seis",
    "estoy en casa y a salvo",
    "mi mamá falleció el año pasado y la extraño",
    "me despierto temprano todos los días",
    "no sé qué esperar del próximo corte",
    "terminé mi descenso",
    "no me he lastimado",
    "nunca me corto, tranquila",
    "la abstinencia es dura pero lo llevo",
    "tengo ansiedad por las mañanas",
    "el insomnio es horrible",
    "me tiemblan un poco las manos",
    "acúfenos desde el último corte",
    "la niebla mental se va",
    "¿Cuánto duró tu pausa?",
    "Gracias a todos por sus palabras",
    "perdí las llaves otra vez",
    "el perro no me dejó dormir",
    "vi la tele toda la tarde",
    "fui a escuchar un concierto con amigas",
]

# A mentor's or staff member's safety guidance: not a crisis from them (but a crisis from a member).
GUIDANCE = [
    "Si alguien piensa en suicidarse, llame al 024 de inmediato.",
    "Si tiene una convulsión, llame a emergencias: es una urgencia.",
    "Si alguien tomó demasiadas pastillas, llame al 911 ahora.",
    "Si usted no puede respirar bien, llame al 112.",
]


def test_the_corpus_covers_every_kind_and_the_kinds_are_the_english_ones():
    assert len(POSITIVE) + len(NEGATIVE) + len(GUIDANCE) >= 120
    assert {kind for _t, kind in POSITIVE} == {k.id for k in crisis_kinds()}
    raw = tomllib.loads(files("slowtaper.community").joinpath("data/crisis.es.toml").read_text(encoding="utf-8"))
    assert set(raw["kinds"]) == {k.id for k in crisis_kinds()} and "es" in CRISIS_LANGUAGES


@pytest.mark.parametrize(("text", "kind"), POSITIVE)
def test_a_crisis_in_spanish_is_caught_with_its_kind(text, kind):
    assert kind in [k.id for k in crisis_in(text)], text


@pytest.mark.parametrize("text", [t for t, _k in POSITIVE])
def test_a_crisis_in_spanish_from_a_mentor_is_still_caught(text):
    assert crisis_in(text, guidance_ok=True), text


@pytest.mark.parametrize("text", NEGATIVE)
def test_everyday_spanish_and_denials_are_not_a_crisis(text):
    assert crisis_in(text) == [], text


@pytest.mark.parametrize("text", GUIDANCE)
def test_spanish_guidance_from_a_mentor_is_not_held_but_from_a_member_it_is(text):
    assert crisis_in(text, guidance_ok=True) == [], text
    assert crisis_in(text), text


def test_accents_and_their_absence_read_the_same():
    for with_accents, without in [("convulsión", "convulsion"), ("no sé dónde estoy", "no se donde estoy")]:
        assert [k.id for k in crisis_in(with_accents)] == [k.id for k in crisis_in(without)] != []


def test_a_spanish_denial_excuses_only_the_phrase_it_denies():
    assert [k.id for k in crisis_in("no tuve convulsiones, pero tomé demasiadas pastillas")] == ["overdose"]
    assert [k.id for k in crisis_in("No quiero morir. Ya no puedo más")] == ["suicide"]


def test_spanish_and_english_in_one_post_are_both_read():
    assert [k.id for k in crisis_in("I had a seizure", "y ahora oigo voces")] == ["seizure", "psychosis"]
