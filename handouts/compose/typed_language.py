"""Text typed for one handout (a procedure, a note) in English on a handout in another language.

A Spanish post-op sheet prints the procedure exactly as the desk typed it: "L4-L5 decompression"
would put English on a Spanish page with no word to anyone. This finds English in typed text so
the command line and the web page can say so; it never changes what prints.
"""

import re

# English words a procedure name or a short note is made of that are not Spanish words (so "lumbar",
# "posterior", "fusion" and "a" are left out: a Spanish typist writes them too).
ENGLISH_WORDS = frozenset(
    {
        "and", "with", "of", "the", "at", "on", "in", "to", "for", "from", "or", "your", "you", "after", "before",
        "between", "both", "left", "right", "level", "levels", "lower", "back", "spine", "spinal", "surgery",
        "minimally", "invasive", "open", "removal", "repair", "revision", "hardware", "rods", "screws",
        "decompression", "decompressive", "laminectomy", "laminotomy", "hemilaminectomy", "foraminotomy",
        "discectomy", "microdiscectomy", "microdecompression", "interbody", "instrumented", "instrumentation",
        "stabilization", "endoscopic", "disc", "bone", "walk", "walking", "call", "please", "bring", "take", "days",
        "weeks",
    }
)
# Endings no Spanish word has: "-tion" (Spanish writes -ción), "-ectomy"/"-otomy" (-ectomía), a double s.
_ENGLISH_SHAPES = re.compile(r"(?:tion|tions|ectomy|otomy|ss\w*)$")


def english_words(text: str) -> list[str]:
    """The English words in `text`, in order: those of ENGLISH_WORDS as written, any other of an
    English shape as "" (it may be a name, which a message must not repeat). Empty when there is
    none: numbers and codes such as "L4-L5" or "TLIF" are in no language."""
    found = []
    for word in re.findall(r"[^\W\d_]+", text.lower()):
        if word in ENGLISH_WORDS:
            found.append(word)
        elif _ENGLISH_SHAPES.search(word):
            found.append("")
    return found
