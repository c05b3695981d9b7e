"""Partial joins stay grammatical in the three datasets' query styles."""

from __future__ import annotations

import doctest

import pytest

from tvgcurate.curation.irrelevant import text
from tvgcurate.curation.irrelevant.text import ProperNouns, clause, join_partial, normalise


def test_doctests():
    assert doctest.testmod(text).failed == 0


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        # QVHighlights: capitalised, with or without a final period.
        (
            "A man cooks.",
            "A dog jumps into a pool.",
            "A man cooks, and then a dog jumps into a pool.",
        ),
        (
            "A video covering hill and water from a boat",
            "Woman talks to the camera.",
            "A video covering hill and water from a boat, and then woman talks to the camera",
        ),
        # Charades-STA: lowercase "person ..." with a period.
        (
            "person opens the door.",
            "person sits on a chair.",
            "person opens the door, and then person sits on a chair.",
        ),
        # ActivityNet: stray whitespace, leading discourse markers.
        (
            "  The coach helps the guy in red. ",
            " Then the man jumps rope.  ",
            "The coach helps the guy in red, and then the man jumps rope.",
        ),
        (
            "A weight lifting tutorial is given.",
            "Afterwards, he waves to the camera.",
            "A weight lifting tutorial is given, and then he waves to the camera.",
        ),
        # Doubled end punctuation and inner runs of spaces.
        ("A girl   dances..", "She smiles !", "A girl dances, and then she smiles."),
    ],
)
def test_join_styles(first, second, expected):
    assert join_partial(first, second) == expected


def test_proper_nouns_keep_their_capital():
    proper = ProperNouns.from_corpus(
        [
            "A man talks about Obama.",
            "We meet Obama in Paris.",
            "a vlog about The best food",
            "the dog chases the cat.",
        ]
    )
    assert clause("Obama gives a speech.", proper) == "Obama gives a speech"
    assert clause("Paris is sunny.", proper) == "Paris is sunny"
    assert clause("The crowd cheers.", proper) == "the crowd cheers"  # "The" is mostly lowercase
    assert clause("I walk home.") == "I walk home"
    assert clause("CNN reports live.") == "CNN reports live"
    assert clause("iPhone unboxing.") == "iPhone unboxing"


def test_normalise():
    assert normalise("  a\tb \n c  ") == "a b c"
