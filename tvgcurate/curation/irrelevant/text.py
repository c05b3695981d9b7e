"""Query text handling: whitespace normalisation and grammatical `partial` joins.

The three datasets write queries differently:

- QVHighlights: capitalised sentences, usually with a final period ("A man cooks.");
- Charades-STA: lowercase "person ..." with a period ("person opens the door.");
- ActivityNet Captions: sentences, often with leading/trailing whitespace, sometimes
  starting with a discourse marker ("  Then the man jumps.").

`join_partial(first, second)` keeps the first query's style (its capital, its final period
or none) and appends the second as a lowercased clause:

>>> join_partial("A man cooks.", "  Then a dog jumps into a pool. ")
'A man cooks, and then a dog jumps into a pool.'
>>> join_partial("person opens the door.", "a person is sneezing.")
'person opens the door, and then a person is sneezing.'
>>> join_partial("Vlogger walks by a pool", "Obama gives a speech.", ProperNouns({"Obama"}))
'Vlogger walks by a pool, and then Obama gives a speech'
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

_END = " \t\n.!?;:,"
# Leading discourse markers that would read badly after "and then".
_MARKERS = re.compile(
    r"^(?:and\s+then|then|afterwards|after\s+that|next|finally|later|eventually|"
    r"meanwhile|also|and|so|now)\b[\s,]*",
    re.IGNORECASE,
)
_WORD = re.compile(r"[A-Za-z][A-Za-z'\-]*")


def normalise(text: str) -> str:
    """Collapse runs of whitespace and strip the ends."""
    return " ".join(text.split())


class ProperNouns:
    """Words that keep their capital at the start of a joined clause.

    `from_corpus` learns them from the queries themselves: a word counts as a proper noun
    when, away from a sentence start, it is written capitalised more often than not.
    "I" and words with an inner capital or all caps (iPhone, CNN) always keep theirs.
    """

    def __init__(self, words: Iterable[str] = ()):
        self.words = set(words)

    @classmethod
    def from_corpus(cls, texts: Iterable[str]) -> ProperNouns:
        upper, lower = Counter(), Counter()
        for text in texts:
            for word in _WORD.findall(text)[1:]:
                if word[0].isupper():
                    upper[word] += 1
                else:
                    lower[word.capitalize()] += 1
        return cls(w for w, n in upper.items() if n > lower[w])

    def keeps_capital(self, word: str) -> bool:
        if word == "I" or word.startswith("I'"):
            return True
        if len(word) > 1 and (word.isupper() or any(c.isupper() for c in word[1:])):
            return True
        return word in self.words


def clause(text: str, proper: ProperNouns | None = None) -> str:
    """`text` as a clause to follow "and then": no leading marker, no end punctuation,
    first letter lowercased unless it starts a proper noun."""
    body = _MARKERS.sub("", normalise(text)).rstrip(_END).strip()
    if not body:
        return body
    first = body.split(" ", 1)[0]
    if not (proper or ProperNouns()).keeps_capital(first.rstrip(",;:'\"")):
        body = body[0].lower() + body[1:]
    return body


def join_partial(first: str, second: str, proper: ProperNouns | None = None) -> str:
    """One sentence: `first` (a true query) ", and then" `second` (an unrelated clause)."""
    head = normalise(first)
    end = "." if head.endswith((".", "!", "?")) else ""
    head = head.rstrip(_END)
    return f"{head}, and then {clause(second, proper)}{end}"
