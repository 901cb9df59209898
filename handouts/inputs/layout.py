"""Where each kind of file lives in the built-ins and in a practice folder, and which files are a language's own.

The built-in root keeps its data under content/; a practice folder keeps it at the top, where a
practice manager will look for it. A text's translation is a folder named by the language's code beside
it (`es/practice.toml` beside practice.toml, `visits/es/` in visits, `templates/es/`): those folders
are what one language has of its own; everything else every language is made from.
"""

from ..base.i18n import DEFAULT, LANGUAGES

BUILTIN_LAYOUT = {
    "templates": "templates",
    "styles": "styles",
    "visits": "content/visits",
    "modules": "content/modules",
    "assets": "assets",
}
PRACTICE_LAYOUT = {**BUILTIN_LAYOUT, "visits": "visits", "modules": "modules", "surgeons": "surgeons"}

APPROVALS_FILE = "approvals.toml"  # who approved which text (config/approvals.py)
SCHEDULE_FILE = "schedule.toml"  # how the practice's schedule export reads (config/schedule_map.py)
BUILTIN_PRACTICE_FILE = "content/practice.toml"  # the sample practice, relative to the built-in root
LANGUAGE_FOLDERS = tuple(code for code in LANGUAGES if code != DEFAULT)
# Everything of a root that can change a handout, relative to it: what snapshot.py hashes, what a
# practice folder is checked for (links, special files) and what the record keeps to make it again.
PRACTICE_FILES = (
    "practice.toml", APPROVALS_FILE, *sorted(set(PRACTICE_LAYOUT.values())), *LANGUAGE_FOLDERS, SCHEDULE_FILE
)
BUILTIN_FILES = ("assets", "content", "styles", "templates")
# Folders every language prints from alike: a folder named `es` in them is a folder of pictures or styles.
SHARED_FOLDERS = ("assets", "styles")


def language_of(relative: str) -> str:
    """The language a file of a root is in: that of the language folder it is in (`visits/es/x.toml`:
    "es"), else the default's, which every language is made from."""
    parts = relative.split("/")
    if parts[0] in SHARED_FOLDERS:
        return DEFAULT
    return next((part for part in parts[:-1] if part in LANGUAGE_FOLDERS), DEFAULT)
