"""Wordlist `variants`: traditional characters folded to simplified ones (OpenCC), pinyin forms of entries (pypinyin)."""

from __future__ import annotations

import re
from functools import lru_cache

from rulekit import cache
from rulekit.runtime.patterns import char_class

#: The `variants` a wordlist may declare (docs/language.md).
VARIANTS: tuple[str, ...] = ("traditional", "pinyin")

#: The blocks whose characters OpenCC's table can map: CJK Extension A, the unified ideographs, the compatibility ones.
_BLOCKS = ((0x3400, 0x4DC0), (0x4E00, 0xA000), (0xF900, 0xFB00))


@lru_cache(maxsize=1)
def t2s_table() -> dict[int, int]:
    """`str.translate` table: each traditional (or variant) character that OpenCC's `t2s` maps to one simplified
    character, and that character. Character for character, so a folded text keeps its length and offsets map back
    exactly; OpenCC's phrase table (which may change lengths) is not used. Built once (about 15 ms) and kept in the
    user cache, keyed by OpenCC's version."""
    key = cache.key_of("t2s", cache.module_fingerprint("opencc"))
    table = cache.load("variants", key)
    if isinstance(table, dict):
        return table
    import opencc  # the `opencc` package: OpenCC's own tables, maintained upstream

    chars = [chr(cp) for lo, hi in _BLOCKS for cp in range(lo, hi)]
    converted = opencc.OpenCC("t2s").convert("\n".join(chars)).split("\n")
    if len(converted) != len(chars):  # pragma: no cover - a newline is never converted
        raise RuntimeError("OpenCC changed the number of lines of the character table")
    table = {ord(a): ord(b) for a, b in zip(chars, converted, strict=True) if a != b and len(b) == 1}
    cache.store("variants", key, table)
    return table


@lru_cache(maxsize=1)
def _traditional() -> re.Pattern[str]:
    """One character class of every character `t2s_table` maps: a search is a C scan over a bitmap (0.5 µs for a
    90-character text, where `str.translate` with the table takes 7 µs), so texts without one are left alone.
    Compiling the class costs about 5 ms, what translating some 700 such texts costs (`simplified`)."""
    return re.compile(char_class(t2s_table()))


def translated(text: str) -> str:
    """`text` with traditional characters replaced one for one by simplified ones: `str.translate` with
    `t2s_table`, and `text` itself (the same object) when nothing changed."""
    if text.isascii():
        return text
    out = text.translate(t2s_table())
    return text if out == text else out


#: Texts `simplified` translates directly before it compiles the class of `_traditional`: a process that folds
#: few texts (one `rulekit lint` of a listing, the keys of a wordlist) does not pay for the compilation.
TRANSLATED_FIRST = 512
_first = [TRANSLATED_FIRST]


def simplified(text: str) -> str:
    """`text` with traditional characters replaced one for one by simplified ones (`t2s_table`), the same object
    when it has none."""
    if text.isascii():
        return text
    if _first[0] > 0:
        _first[0] -= 1
        return translated(text)
    if _traditional().search(text) is None:
        return text
    return text.translate(t2s_table())


def _is_han(ch: str) -> bool:
    return any(lo <= ord(ch) < hi for lo, hi in _BLOCKS)


#: Changes whenever `pinyin_forms` does, so cached forms of an earlier rule are not reused.
_PINYIN_RULES = "forms-2: full pinyin; initials from three characters"


def pinyin_of(words: list[str]) -> dict[str, list[str]]:
    """`pinyin_forms` of each word, kept in the user cache by the words and pypinyin's version: importing pypinyin
    takes 0.3 s (its phrase tables), which a process with a cached answer does not pay."""
    key = cache.key_of("pinyin", _PINYIN_RULES, cache.module_fingerprint("pypinyin"), *words)
    found = cache.load("variants", key)
    if isinstance(found, dict):
        return found
    found = {w: pinyin_forms(w) for w in words}
    cache.store("variants", key, found)
    return found


def pinyin_forms(word: str) -> list[str]:
    """The toneless pinyin of an all-Han entry and, for entries of three or more characters, its initials (`加微信` →
    `jiaweixin`, `jwx`; `微信` → `weixin` only): what a seller types to get past a filter. A polyphonic character takes its reading in the word (pypinyin's phrase data: `重庆` →
    `chongqing`), not every reading it has, which would add spellings nobody types. Two initials are any two-letter
    acronym (`sl` of 私聊 is Samsung's printer prefix SL-), so shorter entries get none. Entries with other characters (`加V`, `VX`) get none:
    they are already typed in Latin letters."""
    if not word or not all(map(_is_han, word)):
        return []
    from pypinyin import Style, pinyin  # pypinyin: maintained pinyin data with polyphone readings

    readings = pinyin(word, style=Style.NORMAL, heteronym=False, errors="ignore")
    if len(readings) != len(word):
        return []
    parts = [r[0] for r in readings]
    forms = ["".join(parts)] + (["".join(p[0] for p in parts)] if len(parts) >= 3 else [])
    return [f for f in dict.fromkeys(forms) if f.isascii() and f.isalpha()]
