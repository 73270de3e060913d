"""The crisis matcher against a corpus of ways people write: every positive must be caught with its kind, every
negative must pass. When a phrasing is missed or wrongly held, add it here first, then mend data/crisis.toml.

The phrasings are the project's own, written the way people post on support forums and in texts: lower case,
no apostrophes, run-on sentences, slang and the euphemisms people use to get past filters."""

from __future__ import annotations

import pytest

from slowtaper.community.text import crisis_in

SUICIDE = [
    "Some nights I just want to end it",
    "I want to die",
    "i wanna die tbh",
    "I want to kill myself",
    "thinking about killing myself again",
    "kms",
    "honestly kms this week",
    "I'm going to end my life",
    "I keep thinking about ending my life",
    "I just want to end it all",
    "I want to take my own life",
    "I could take my life tonight",
    "I wish I was dead",
    "I wish I were dead",
    "wish i could die",
    "I'd rather be dead than feel this",
    "everyone would be better off without me",
    "my family is better off without me",
    "they'd be better off if I was dead, better off dead",
    "there is no reason to live",
    "I have nothing to live for",
    "life is not worth living like this",
    "no point living",
    "there's no point in living anymore",
    "no point going on",
    "I've started self harming again",
    "I self-harm when it gets bad",
    "selfharm urges are back",
    "I hurt myself last night",
    "I keep hurting myself",
    "I want to harm myself",
    "I cut myself again",
    "been cutting myself",
    "I want to hang myself",
    "thought about hanging myself",
    "I could shoot myself",
    "thought of how to slit my wrists",
    "I nearly jumped, I want to jump off a bridge",
    "I want to jump in front of a train",
    "I want to unalive myself",
    "thinking of how to unalive",
    "I don't want to wake up tomorrow",
    "dont want to wake up",
    "I want to sleep forever",
    "I hope I never wake up",
    "I don't want to be here anymore",
    "i dont want to be here anymore",
    "I don't want to exist",
    "I don't want to live",
    "I do not want to live like this",
    "i dont want to live",
    "I can't go on",
    "I cant go on like this",
    "I cannot go on",
    "I can't do this anymore",
    "goodbye everyone, thank you for everything",
    "this is goodbye",
    "I wanted to say goodbye to everyone",
    "I wrote a note for my kids",
    "I've been writing my note",
    "I have a plan to end things",
    "I planned how to do it",
    "I just want it to be over",
    "I want it all to be over",
    "wishing I was never born",
    "thoughts of suicide every night",
    "I am suicidal",
    "feeling really suicidal tonight",
    "suicide keeps crossing my mind",
    "I've been stockpiling my pills",
    "I am hoarding pills",
    "I'm not ok. I want to die",
    "I don't know, I want to die",
    "not sure if I want to die or not",
    "SOME NIGHTS I JUST WANT TO END IT",
    "I don\u2019t want to live",  # a curly apostrophe, as phones type it
    "I can\u2019t go on",
    "I\u2019m thinking about ending it all",
]

SEIZURE = [
    "I had a seizure last night",
    "had two seizures this week",
    "I think I was seizing",
    "my husband said I was convulsing",
    "I had a convulsion",
    "I had a fit last night",
    "I'm having fits again",
    "had fits in my sleep",
    "I was fitting on the floor",
    "found myself fit on the floor",
    "I blacked out in the kitchen",
    "I passed out at work",
    "I lost consciousness for a minute",
    "a grand mal seizure",
    "it looked like a tonic clonic seizure",
    "tonic-clonic, the paramedics said",
    "I bit my tongue and woke up confused",
    "I woke up on the floor",
    "my arms started jerking and would not stop",
    "my body was jerking",
    "my legs kept shaking uncontrollably",
    "status epilepticus",
    "she is having a SEIZURE",
    "convulsions after I missed a dose",
    "I collapsed and shook all over",
]

OVERDOSE = [
    "I took too many",
    "I've taken too many of my pills",
    "I took too much klonopin",
    "I think I've taken too much",
    "I overdosed",
    "thinking of an overdose",
    "I'm overdosing",
    "I od'd last night",
    "I ODed",
    "I took all my pills",
    "I took all my tablets",
    "swallowed all my pills",
    "I swallowed all my tablets",
    "I swallowed the whole strip",
    "took the whole bottle",
    "I took the whole packet",
    "I took a handful",
    "I double dosed by mistake and feel strange",
    "I doubled my dose",
    "I can't stay awake",
    "i cant stay awake",
    "I can't wake up properly",
    "I can't wake him",
    "I can't wake her up",
    "I can't breathe",
    "cant breathe",
    "he's barely breathing",
    "I'm struggling to breathe",
    "she stopped breathing for a bit",
    "his lips are blue",
    "blue lips and very sleepy",
    "I mixed with alcohol",
    "mixed with opioids",
    "I took my pills with vodka",
    "I took 3 clonazepam and beer",
    "I swallowed xanax with wine",
    "I took 20 pills",
    "I took thirty tablets",
    "I took a lot of pills",
]

PSYCHOSIS = [
    "I'm hearing voices",
    "I hear voices at night",
    "voices telling me to do things",
    "there are voices in my head",
    "I keep seeing things that aren't there",
    "seeing things that are not there",
    "seeing people who aren't there",
    "I think I'm hallucinating",
    "having hallucinations",
    "I hallucinate at night",
    "I don't know where I am",
    "i dont know where i am",
    "I don't know who I am anymore",
    "they are watching me",
    "they're watching me through the phone",
    "I'm being watched",
    "I'm being followed",
    "everyone is against me",
    "the TV is talking to me",
    "bugs under my skin",
    "insects crawling on me",
    "the radio sends messages meant for me",
]

POSITIVE = (
    [(t, "suicide") for t in SUICIDE]
    + [(t, "seizure") for t in SEIZURE]
    + [(t, "overdose") for t in OVERDOSE]
    + [(t, "psychosis") for t in PSYCHOSIS]
)

NEGATIVE = [
    "Taper going well, day 20 of this step",
    "Week two and sleeping better",
    "I'm not suicidal, just very tired",
    "not feeling suicidal, just low",
    "I have never been suicidal",
    "No seizures so far, thank goodness",
    "I have never had a seizure",
    "never had a fit",
    "no thoughts of suicide",
    "I don't want to die, I want to get better",
    "I do not want to die",
    "I didn't take too many",
    "I haven't taken too much",
    "we cut the evening dose by 10%",
    "my clinician said we can cut 0.05 mg",
    "the new tablets fit in my pill box",
    "this schedule fits my week",
    "I'm dying to tell you my news",
    "the suspense of waiting for the next cut",
    "I killed it at the gym today",
    "my plants died while I was ill",
    "a self-care day today",
    "I went to hear a band with my friends",
    "I watched the TV all evening",
    "the withdrawal is hard but I'm coping",
    "I feel anxious in the mornings",
    "the insomnia is awful",
    "my hands shake a little",
    "tinnitus since the last cut",
    "brain fog is lifting",
    "How long did your hold last?",
    "Thank you all for the kind words",
    "I lost my keys again",
    "my dog kept me awake",
    "I'm going to end the week with a walk",
    "we ended the call early",
    "I took my dose on time",
    "I took my tablets at 22:00 as planned",
    "I took the 0.5 mg tablet with water",
    "the pharmacist gave me the liquid and a syringe",
    "the breathing exercise helps",
    "breathe in for four, out for six",
    "I am at home and safe",
    "I passed the exam",
    "my mum passed away last year and I miss her",
    "I wake up early every day",
    "this hold gives me time to breathe",
    "I don't know what to expect from the next cut",
    "Where I am now is a better place",
    "I finished my taper!",
    "I am not having any seizures",
    "I haven't hurt myself",
    "never cut myself",
    "without thoughts of ending anything",
    "counting down to the end of this step",
    "the end of my taper is in sight",
    "I'm fitting in walks every day",
]

# A mentor's or staff member's safety guidance: not a crisis from them (but a crisis from a member).
GUIDANCE = [
    "If you ever feel suicidal, call 988 straight away.",
    "If anyone is having thoughts of suicide, please call your crisis line.",
    "If you have a seizure, call emergency services: it is an emergency.",
    "A seizure is an emergency: call 911.",
    "If someone took too many tablets, call 999 now.",
    "If you can't stay awake after a dose, call emergency services.",
]


def test_the_corpus_is_large_and_each_kind_is_covered():
    assert len(POSITIVE) + len(NEGATIVE) + len(GUIDANCE) >= 200
    assert {kind for _t, kind in POSITIVE} == {"suicide", "seizure", "overdose", "psychosis"}


@pytest.mark.parametrize(("text", "kind"), POSITIVE)
def test_a_crisis_is_caught_with_its_kind(text, kind):
    assert kind in [k.id for k in crisis_in(text)], text


@pytest.mark.parametrize("text", [t for t, _k in POSITIVE])
def test_a_crisis_from_a_mentor_is_still_caught(text):
    """Mentors are peers, often in recovery: their own words of crisis are held like anyone's."""
    assert crisis_in(text, guidance_ok=True), text


@pytest.mark.parametrize("text", NEGATIVE)
def test_everyday_words_and_denials_are_not_a_crisis(text):
    assert crisis_in(text) == [], text


@pytest.mark.parametrize("text", GUIDANCE)
def test_guidance_from_a_mentor_is_not_held_but_from_a_member_it_is(text):
    assert crisis_in(text, guidance_ok=True) == [], text
    assert crisis_in(text), text


def test_a_denial_excuses_only_the_phrase_it_denies():
    assert [k.id for k in crisis_in("I'm not suicidal but I want to end it all")] == ["suicide"]
    assert [k.id for k in crisis_in("no seizures, but I took too many tonight")] == ["overdose"]
    assert crisis_in("I can't go on") and crisis_in("not that I can't go on")  # its own "n't" is no denial


def test_a_title_and_a_body_are_read_together():
    assert [k.id for k in crisis_in("Tonight", "I want to die")] == ["suicide"]


@pytest.mark.parametrize(
    "text",
    [
        "I want to d\u200bie",  # a zero-width space
        "I want to di\u00ade",  # a soft hyphen
        "I want to k\u0456ll myself",  # a Cyrillic і
        "\u0455uicidal tonight",  # a Cyrillic ѕ
        "I want to \uff44\uff49\uff45",  # full-width letters
        "su\u200dicide",  # a zero-width joiner
        "I can\u02bct go on",  # a modifier-letter apostrophe
    ],
)
def test_hidden_and_look_alike_characters_do_not_hide_a_crisis(text):
    assert crisis_in(text), repr(text)
