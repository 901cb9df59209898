"""Whether a line of a schedule, as decoded, reads as text a clinic wrote, or as mojibake.

A file in an old code page read in another prints every name with the wrong letters ("£ukasz" for
"Łukasz", "Zo‰ Nu¤ez" for "Zoë Nuñez"), and so does UTF-8 read as Windows-1252 and saved again
("ZoÃ«"). The bytes cannot say which code page they are in: on a schedule of a few accented names,
charset-normalizer (like any detector) takes Windows-1252 Spanish for Windows-1250 or Big5, so the
reading is checked by what it gives instead. A wrong code page leaves signs inside words (£ ‰ ¤ ³
¹ ¿ × “ — between letters), a capital with an accent right after a small letter ("JosŽ", what
MacRoman's é becomes) or a small one inside capitals ("MARêA"), or words made mostly of accented
letters (Cyrillic read as Latin); and
charset-normalizer's own measure of such mess is asked too. Text in other scripts (a file read
with `--encoding koi8-r` or `shift_jis`) is judged only where it has Latin letters.

Not every wrong reading can be caught: Czech "Dvořák" in Windows-1250 reads "Dvoøák" in
Windows-1252, letters throughout. Saving a schedule as "CSV UTF-8" leaves nothing to guess.
"""

import re
import unicodedata

MESS = 0.2  # charset-normalizer's own threshold for "not plausible text"
_WORD = re.compile(r"[^\s,;\"]+")
# Letters of Windows-1252 that are signs in a name: the florin, micro and ordinal signs.
_SIGNS = frozenset("ƒµªº")
_OPENING = frozenset("\u2018\u201c\u201e\u00ab\u2039\u00bf\u00a1")  # ‘ “ „ « ‹ ¿ ¡
_CLOSING = frozenset("\u201d\u00bb\u203a\u00ae\u2122")  # ” » › ® ™


def encoded_twice(line: str) -> bool:
    """A word of UTF-8 that was read as Windows-1252 (or Latin-1) and saved as UTF-8 again:
    "ZoÃ«", whose Windows-1252 bytes are the UTF-8 of "Zoë"."""
    for word in _WORD.findall(line):
        if word.isascii():
            continue
        for legacy in ("cp1252", "latin-1"):
            try:
                again = word.encode(legacy).decode("utf-8")
            except UnicodeError:
                continue
            if again != word:
                return True
    return False


def garbled(line: str) -> bool:
    """Whether a line read from a legacy code page looks like one read in the wrong code page."""
    text = line.rstrip("\r\n")
    if text.isascii():
        return False
    from charset_normalizer.md import mess_ratio  # slow to load: only for a file in a code page

    if mess_ratio(text, MESS) >= MESS:
        return True
    if _lower_nbsp_lower(text):
        return True  # cp850's "á" read as Windows-1252: "Garc a"
    return any(_odd_word(word) for word in _WORD.findall(text) if not word.isascii())


def _latin(ch: str) -> bool:
    return ch.isalpha() and unicodedata.name(ch, "").startswith("LATIN")


def _lower_nbsp_lower(text: str) -> bool:
    return any(
        text[i - 1].islower() and text[i + 1].islower()
        for i in range(1, len(text) - 1)
        if text[i] == "\u00a0"
    )


def _fits(ch: str, i: int, before: str, after: str) -> bool:
    """Whether a sign beside a Latin letter stands where text puts it: O’Brien, d’Arcy, James’,
    “quoted”, ¿Dolor?, L4–L5, Smith–Jones, 20°C, Tylenol®, Mª José."""
    if ch == "\u2019":
        return not after.isalpha() or after.isupper() or i <= 2
    if ch in _OPENING:
        return not before.isalpha()
    if ch in _CLOSING:
        return not after.isalpha()
    if ch in "\u2013\u2014":
        return not (_latin(before) and after.islower())
    if ch == "°":
        return before.isdigit()
    return ch in "ªº" and i <= 2


def _odd_word(word: str) -> bool:
    for i, ch in enumerate(word):
        if ch.isascii() or unicodedata.category(ch).startswith("M"):
            continue
        before, after = word[i - 1] if i else "", word[i + 1] if i + 1 < len(word) else ""
        if ch.isalpha() and ch not in _SIGNS:
            if _latin(ch) and ch.isupper() and before.islower() and _latin(before):
                return True  # "JosŽ", "ïÌØÇÁ"
            if _latin(ch) and ch.islower() and ch != "ß" and before.isupper() and after.isupper():
                return True  # "MARêA": MacRoman's Í
            continue
        if not (_latin(before) or _latin(after)) or _fits(ch, i, before, after):
            continue  # a sign on its own or beside digits ("20°", "€5"), or where such signs go
        return True  # "£ukasz", "Zo‰", "Nu¤ez", "Pawe³", "ŽR“c"
    letters = [ch for ch in word if ch.isalpha()]
    accented = [ch for ch in letters if not ch.isascii() and _latin(ch)]
    return len(letters) >= 4 and 2 * len(accented) > len(letters)  # "ïìøçá": Cyrillic capitals read as Latin
