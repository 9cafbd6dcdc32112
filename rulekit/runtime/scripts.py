"""`script(text)`: which writing system a text is mostly in, so a policy can keep a language's list to its texts."""

from __future__ import annotations


def _is_han(o: int) -> bool:
    return 0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF or 0xF900 <= o <= 0xFAFF or 0x20000 <= o <= 0x3134F


def _is_latin(ch: str, o: int) -> bool:
    return (ch.isascii() and ch.isalpha()) or 0xC0 <= o <= 0x24F or 0xFF21 <= o <= 0xFF3A or 0xFF41 <= o <= 0xFF5A


def script(text: str) -> str:
    """`"han"` when Han characters are at least half of the text's letters, `"latin"` when Latin letters are more
    than half, `"other"` when neither (kana, Hangul, Cyrillic, … or an even mix), `""` for a text with no
    letters. Digits, punctuation and spaces do not count."""
    han = latin = letters = 0
    for ch in text:
        if not ch.isalpha():
            continue
        letters += 1
        o = ord(ch)
        if _is_han(o):
            han += 1
        elif _is_latin(ch, o):
            latin += 1
    if not letters:
        return ""
    if 2 * han >= letters:
        return "han"
    if 2 * latin > letters:
        return "latin"
    return "other"
