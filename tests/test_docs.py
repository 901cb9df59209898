"""The README and docs/ hold together: every relative link leads somewhere, and the README stays short.

The README is the way in (the two commands, the three people's journeys, links); the detail lives in
docs/. A page moved or a heading renamed breaks a link without anyone seeing it, so each relative
link is followed here: its file must exist, and a `#anchor` into a markdown file must be one of
that file's headings (as GitHub makes them).
"""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
PAGES = [README, ROOT / "BENCHMARKS.md", *sorted((ROOT / "docs").glob("*.md"))]
README_MAX_BYTES = 15_000

_FENCE = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.MULTILINE | re.DOTALL)
_CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1", re.DOTALL)
_INLINE = re.compile(r"!?\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*<?([^()\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_REFERENCE = re.compile(r"^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s.*)?$", re.MULTILINE)
_HEADING = re.compile(r"^ {0,3}#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)


def _prose(text: str) -> str:
    """The text without fenced code blocks and code spans: a `[x](y)` there is code, not a link."""
    return _CODE_SPAN.sub(lambda m: "code", _FENCE.sub("", text))


def links(text: str) -> list[str]:
    """Every link target in markdown `text`: inline links, images and reference definitions."""
    prose = _prose(text)
    return _INLINE.findall(prose) + _REFERENCE.findall(prose)


def anchors(text: str) -> set[str]:
    """The anchors GitHub gives a markdown file's headings: lower case, punctuation dropped, spaces
    to hyphens, and -1, -2 ... after a heading seen before."""
    seen: dict[str, int] = {}
    found = set()
    for heading in _HEADING.findall(_FENCE.sub("", text)):
        plain = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link in a heading: its text
        slug = re.sub(r"[^\w\- ]", "", plain.strip().lower()).replace(" ", "-")
        found.add(f"{slug}-{seen[slug]}" if slug in seen else slug)
        seen[slug] = seen.get(slug, 0) + 1
    return found


def broken(page: Path) -> list[str]:
    """The relative links of `page` that lead nowhere, each with why."""
    problems = []
    for target in links(page.read_text(encoding="utf-8")):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.IGNORECASE):  # https:, mailto: ...
            continue
        path, _, anchor = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        if not file.exists():
            problems.append(f"{page.name}: {target}: {path} does not exist")
        elif anchor and file.suffix == ".md" and anchor not in anchors(file.read_text(encoding="utf-8")):
            problems.append(f"{page.name}: {target}: {file.name} has no heading '#{anchor}'")
    return problems


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_leads_somewhere(page: Path) -> None:
    assert not broken(page), "\n".join(broken(page))


def test_a_broken_link_is_found(tmp_path: Path) -> None:
    (tmp_path / "there.md").write_text("# A heading: `with code`\n\n## Twice\n\n## Twice\n")
    page = tmp_path / "page.md"
    page.write_text(
        "[ok](there.md) [ok](there.md#a-heading-with-code) [ok](there.md#twice-1) ![ok](there.md)\n"
        "[gone](nowhere.md) [no heading](there.md#nothing) ![no picture](shot.png)\n"
        "[`code` and\nmore](elsewhere/) [web](https://example.org/x.md)\n"
        "`[not a link](in-code.md)`\n\n```\n[not a link](in-a-fence.md)\n```\n\n[ref]: missing-ref.md\n"
    )
    assert broken(page) == [
        "page.md: nowhere.md: nowhere.md does not exist",
        "page.md: there.md#nothing: there.md has no heading '#nothing'",
        "page.md: shot.png: shot.png does not exist",
        "page.md: elsewhere/: elsewhere/ does not exist",
        "page.md: missing-ref.md: missing-ref.md does not exist",
    ]


def test_readme_is_short() -> None:
    size = len(README.read_bytes())
    assert size < README_MAX_BYTES, f"README.md is {size:,} bytes: move detail into docs/ and link it"


def test_readme_links_every_page_of_docs() -> None:
    linked = {(README.parent / link.partition("#")[0]).resolve() for link in links(README.read_text())}
    unlinked = [p.name for p in sorted((ROOT / "docs").glob("*.md")) if p.resolve() not in linked]
    assert not unlinked, f"docs/ pages the README does not link: {unlinked}"


def test_readme_starts_with_the_two_commands() -> None:
    """One command sets up and makes the samples, one sets up and runs the tests: the first code
    a reader meets."""
    blocks = re.findall(r"^```\w*\n(.*?)^```", README.read_text(), re.MULTILINE | re.DOTALL)
    assert [b.strip() for b in blocks[:2]] == ["scripts/samples", "scripts/test"]


_REPO_PATH = re.compile(r"(?<![\w/.-])((?:handouts|tests|benchmarks)/[\w/]*\.py|scripts/[\w-]+)\b")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_source_file_named_exists(page: Path) -> None:
    """`handouts/render/renderer.py`, `tests/test_speed.py`, `scripts/setup`: a file moved in the
    package leaves its old path in the docs, where no link check sees it."""
    named = set(_REPO_PATH.findall(page.read_text(encoding="utf-8")))
    assert not sorted(p for p in named if not (ROOT / p).exists())
