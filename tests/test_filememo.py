"""A practice's files are parsed again only when they change, and every change shows."""

import os
import shutil
import time
from pathlib import Path

from handouts.base.filememo import derived
from handouts.config.catalog import Catalog

FIXTURE = Path(__file__).parent / "fixtures" / "practice"


def test_a_settled_file_is_read_once_and_any_change_is_read_again(tmp_path):
    path = tmp_path / "note.toml"
    path.write_text("a = 1\n")
    hour_ago = time.time() - 3600
    os.utime(path, (hour_ago, hour_ago))
    reads: list[bytes] = []

    def parse(data: bytes) -> bytes:
        reads.append(data)
        return data

    assert derived(path, "test", parse) == derived(path, "test", parse) == b"a = 1\n"
    assert len(reads) == 1
    path.write_text("a = 2\n")  # same size, written now
    assert derived(path, "test", parse) == b"a = 2\n"
    path.write_text("a = 3\n")  # and again within the same clock tick: still seen
    assert derived(path, "test", parse) == b"a = 3\n"
    assert len(reads) == 3


def test_an_edited_practice_file_shows_in_the_next_catalog(tmp_path):
    """The page loads the catalog for every handout: an edit to a visit type's title shows at once."""
    practice = Path(shutil.copytree(FIXTURE, tmp_path / "practice"))
    (practice / "visits").mkdir(exist_ok=True)
    visit = practice / "visits" / "injection.toml"
    builtin = Catalog.load(None).search.builtin / "content" / "visits" / "injection.toml"
    text = builtin.read_text(encoding="utf-8")
    visit.write_text(text, encoding="utf-8")
    title = Catalog.load(practice).visits["injection"].title
    visit.write_text(text.replace(f'title = "{title}"', 'title = "Your Shot Today"'), encoding="utf-8")
    assert Catalog.load(practice).visits["injection"].title == "Your Shot Today"
