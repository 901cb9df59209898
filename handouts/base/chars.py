"""Characters no printed text may hold: those that turn its direction, and those that print as nothing.

Each makes a text print otherwise than it reads where it was typed: "\u202eavliS anA" prints as
"Ana Silva"; a name that is one Hangul filler (U+3164) prints as an empty line; a zero-width space
inside "Ana" prints nothing, yet makes another name than "Ana" in the record and in a search. So
they are refused, never dropped: what is typed is what prints. One rule for every text a patient
sees, typed (command line, schedule, web forms: `request.clean_text`) or written in a practice's
files (the models' text fields).
"""

import unicodedata

# Characters that turn the direction of the text after them: "\u202eavliS anA" prints as "Ana Silva".
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")

# Unicode's Default_Ignorable_Code_Point (DerivedCoreProperties.txt): what a renderer shows as nothing
# (soft hyphen, combining grapheme joiner, Hangul fillers, zero-width space and joiners, word joiner,
# invisible operators, variation selectors, the tag characters), and the blank braille pattern, which
# prints as a blank. Every other format character (category Cf) is refused with them.
_INVISIBLE_RANGES = (
    (0x00AD, 0x00AD),
    (0x034F, 0x034F),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x206F),
    (0x2800, 0x2800),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0),
    (0xFFF0, 0xFFF8),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0000, 0xE0FFF),
)
_KEPT_CONTROLS = "\n\r\t"  # line breaks and tabs: whitespace, which every text's reader folds or keeps


def invisible(ch: str) -> bool:
    """Whether `ch` prints as nothing (and is not whitespace)."""
    code = ord(ch)
    return unicodedata.category(ch) == "Cf" or any(low <= code <= high for low, high in _INVISIBLE_RANGES)


def problem(text: str) -> str | None:
    """What is wrong with `text` in words that follow its name ("the patient name ..."), or None:
    a control or unassigned character, one that turns the direction, or one that prints as nothing."""
    if any(unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn") and ch not in _KEPT_CONTROLS for ch in text):
        return "contains a control or unassigned character: retype it"
    turning = next((ch for ch in text if ch in BIDI_CONTROLS), None)
    if turning:
        return (
            f"contains a hidden character that turns the text's direction (U+{ord(turning):04X}), "
            "so it would not print as it reads: retype it"
        )
    hidden = next((ch for ch in text if invisible(ch)), None)
    if hidden:
        name = unicodedata.name(hidden, "")
        return (
            f"contains an invisible character (U+{ord(hidden):04X}{', ' + name if name else ''}), "
            "which prints as nothing, so it would not print as it reads: retype it"
        )
    return None
