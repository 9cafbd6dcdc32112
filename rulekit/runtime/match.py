"""One occurrence of a wordlist entry in a text (`Match`), and its fast constructor for the matchers."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as _dc_field


@dataclass(frozen=True, slots=True)
class Match:
    """One occurrence of an entry; `start`/`end` are code-point offsets into the searched text, end exclusive."""

    word: str
    text: str
    start: int
    end: int
    category: str | None
    replacement: str | None
    field: str | None = None
    deletes: bool = False  # the entry's replacement column is present and empty: a fix deletes the word
    #: the searched text (the context filters read `before` and `after`); not part of a match's identity
    source: str = _dc_field(default="", compare=False, repr=False)

    def with_field(self, field: str | None) -> Match:
        """The same match, attributed to `field` (`kind.path`, or None)."""
        return new_match(self.word, self.text, self.start, self.end, self.category, self.replacement, field,
                         self.deletes, self.source)

    @property
    def before(self) -> str:
        """The searched text before the match."""
        return self.source[: self.start]

    @property
    def after(self) -> str:
        """The searched text after the match."""
        return self.source[self.end :]

    @property
    def fix(self) -> str | None:
        """The text a fix puts in place of the match: the replacement, `""` for a deleting entry, else None."""
        return "" if self.deletes else self.replacement


_new_object = object.__new__
(_set_word, _set_text, _set_start, _set_end, _set_category, _set_replacement, _set_field, _set_deletes,
 _set_source) = (Match.__dict__[f].__set__ for f in Match.__slots__)  # type: ignore[attr-defined]


def new_match(word: str, text: str, start: int, end: int, category: str | None, replacement: str | None,
              field: str | None, deletes: bool, source: str) -> Match:
    """`Match(...)` with its slots set directly: half the time of the frozen dataclass's `__init__`, which calls
    `object.__setattr__` once per field."""
    m = _new_object(Match)
    _set_word(m, word)
    _set_text(m, text)
    _set_start(m, start)
    _set_end(m, end)
    _set_category(m, category)
    _set_replacement(m, replacement)
    _set_field(m, field)
    _set_deletes(m, deletes)
    _set_source(m, source)
    return m
