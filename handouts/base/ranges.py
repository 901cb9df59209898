"""A range of numbers ("1 or 2", "2 to 8", "1 o 2", "2 a 8") is read as one thing: no line ends inside
it, in a drawing's labels (figures.wrap) or on page 1 ("we do not advise more than 2" alone at a
line's end reads as a rule of its own)."""

import re

RANGE = re.compile(r"\b(\d+) (or|to|o|a|y|and) (\d+)\b")


def joined(text: str, joiner: str) -> str:
    """`text` with the two spaces inside each range of numbers as `joiner` (a no-break space in HTML)."""
    return RANGE.sub(lambda m: joiner.join(m.groups()), text)
