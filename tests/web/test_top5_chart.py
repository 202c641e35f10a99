"""The AI's top five on the answer page: full "Make Model" names, the truth and the guess marked."""

from __future__ import annotations

import json

from cargame.web.components import top5_chart

TRUTH = "Audi/S4"
PREDICTIONS = [
    {"label": "Bentley/Continental Supersports", "probability": 0.41},
    {"label": TRUTH, "probability": 0.23},
    {"label": "Chevrolet/Silverado 2500HD Regular Cab", "probability": 0.12},
    {"label": "Chevrolet/Silverado 1500", "probability": 0.07},
    {"label": "Lamborghini/Gallardo LP 570-4 Superleggera", "probability": 0.004},
]


def titles(figure: dict) -> list[str]:
    """Each bar's title as one line of text (the wrapped lines joined), top to bottom."""
    ordered = sorted(figure["layout"]["annotations"], key=lambda note: -note["y"])
    return [
        note["text"].removeprefix("<b>").removesuffix("</b>").replace("<br>", " ")
        for note in ordered
    ]


def test_full_make_model_names_most_likely_on_top_never_raw_labels() -> None:
    figure = top5_chart.figure(PREDICTIONS, TRUTH, "Chevrolet/Silverado 1500")
    assert titles(figure) == [
        "Bentley Continental Supersports",
        "Audi S4 · ✓ the car",
        "Chevrolet Silverado 2500HD Regular Cab",
        "Chevrolet Silverado 1500 · your guess",
        "Lamborghini Gallardo LP 570-4 Superleggera",
    ]
    text = json.dumps(figure, ensure_ascii=False)
    assert not any(p["label"] in text for p in PREDICTIONS)
    bar = figure["data"][0]
    assert bar["orientation"] == "h" and bar["x"] == [0.41, 0.23, 0.12, 0.07, 0.004]
    assert bar["y"] == sorted(bar["y"], reverse=True)  # the first prediction is drawn on top
    assert bar["text"] == ["41%", "23%", "12%", "7%", "<1%"]


def test_truth_and_guess_are_marked_by_text_pattern_and_outline() -> None:
    figure = top5_chart.figure(PREDICTIONS, TRUTH, "Chevrolet/Silverado 1500")
    marker = figure["data"][0]["marker"]
    assert marker["pattern"]["shape"] == ["", "/", "", "", ""]
    assert marker["color"][1] == top5_chart.TRUTH_BAR
    assert {marker["color"][index] for index in (0, 2, 3, 4)} == {top5_chart.OTHER_BAR}
    assert marker["line"]["width"] == [0, 0, 0, 3, 0]
    assert top5_chart.notes(PREDICTIONS, TRUTH, "Chevrolet/Silverado 1500") == [
        "✓ and a teal, hatched bar mark the true car.",
        "Your guess has a dark outline.",
    ]


def test_a_right_guess_carries_both_marks() -> None:
    figure = top5_chart.figure(PREDICTIONS, TRUTH, TRUTH)
    assert titles(figure)[1] == "Audi S4 · ✓ the car · your guess"
    assert top5_chart.notes(PREDICTIONS, TRUTH, TRUTH) == [
        "✓ and a teal, hatched bar mark the true car."
    ]


def test_answers_outside_the_top_five_are_named_in_the_notes() -> None:
    others = [p for p in PREDICTIONS if p["label"] != TRUTH]
    notes = top5_chart.notes(others, TRUTH, "Dodge/Ram Pickup 3500 Crew Cab")
    assert notes == [
        "The true car, Audi S4, is not among the AI's top five.",
        "Your guess, Dodge Ram Pickup 3500 Crew Cab, is not among the AI's top five.",
    ]
    assert top5_chart.notes(others, TRUTH, None) == [notes[0]]  # time ran out: no guess


def test_long_names_wrap_at_words_and_get_the_room_they_need() -> None:
    figure = top5_chart.figure(PREDICTIONS, TRUTH, None)
    longest = next(
        note for note in figure["layout"]["annotations"] if "Lamborghini" in note["text"]
    )
    lines = longest["text"].split("<br>")
    assert lines == ["Lamborghini Gallardo LP 570-4", "Superleggera"]
    assert all(len(line) <= top5_chart.WRAP_CHARACTERS for line in lines)
    one_line = [{"label": "Audi/S4", "probability": 0.5}]
    two_lines = [{"label": "Lamborghini/Gallardo LP 570-4 Superleggera", "probability": 0.5}]
    assert (
        top5_chart.height_px(two_lines, TRUTH, None) - top5_chart.height_px(one_line, TRUTH, None)
        == top5_chart.LINE_PX
    )
    assert figure["layout"]["height"] == top5_chart.height_px(PREDICTIONS, TRUTH, None)


def test_screen_readers_hear_each_car_its_marks_and_its_chance() -> None:
    assert top5_chart.spoken(PREDICTIONS, TRUTH, "Chevrolet/Silverado 1500")[1:4] == [
        "Audi S4 · ✓ the car: 23%",
        "Chevrolet Silverado 2500HD Regular Cab: 12%",
        "Chevrolet Silverado 1500 · your guess: 7%",
    ]
