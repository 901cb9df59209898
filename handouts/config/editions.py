"""A catalog in another language: each text file's translation laid over the English one.

The translation of `FOLDER/NAME.toml` is `FOLDER/<lang>/NAME.toml` beside it, in the same root (a
practice's visit type is translated in the practice folder, a built-in one among the built-ins).
A translation holds the printed text only; everything else (module order, fields, day counts)
comes from the English file, so the two cannot drift apart. Every text the English has must be
there, and every list as long: a handout never mixes languages or loses a warning sign.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..base.errors import UserError
from ..base.i18n import LANGUAGES
from ..inputs.searchpath import SearchPath
from .loading import POST_OP_STARTER, Fonts, check_printable, read_toml, validate
from .models import Module, PostOpInstructions, Practice, Surgeon, VisitType

# What a translation holds, per file kind: True for text (or a list of texts), a dict for a table,
# a one-item list for a list of tables, and "*" for a table whose keys come from the English file.
_TOPICS: dict[str, Any] = {name: True for name in PostOpInstructions.model_fields if name != "follow_up_weeks"}
SHAPES: dict[type, dict[str, Any]] = {
    Module: {"title": True},
    VisitType: {
        "title": True,
        "purpose": True,
        "key_points": True,
        "next_steps": True,
        "questions": True,
        "teach_back": True,
        "fields": {"*": {"label": True}},
        "timeline": [{"when": True, "what": True}],
    },
    PostOpInstructions: _TOPICS,
    Practice: {"footer": True, "post_op": _TOPICS},
    Surgeon: {
        "post_op": _TOPICS,
        "visits": {"*": {"sections": [{"title": True, "text": True}]}},
        "procedures": True,
    },
}


def translation_file(path: Path, lang: str) -> Path:
    """Where the `lang` version of a text file lives: an `<lang>` folder beside it."""
    return path.parent / lang / path.name


def translate(model: Any, path: Path, lang: str, search: SearchPath) -> Any:
    """`model` (loaded from `path`) with its printed text from its `lang` translation file (found on `search`)."""
    english = model.model_dump(exclude_none=True)
    if not _has_text(english, SHAPES[type(model)]):
        return model  # nothing to translate, e.g. a surgeon profile without instructions
    target = translation_file(path, lang)
    if not search.is_file(target):
        raise UserError(
            f"{path} has no {LANGUAGES[lang][0]} version: add {target} with its text in {LANGUAGES[lang][0]} "
            "(see docs/translation-review.md)"
        )
    merged = _overlay(english, read_toml(target, search.files), SHAPES[type(model)], target, "")
    return validate(type(model), merged, target)


def _has_text(english: dict, shape: dict) -> bool:
    return bool(_overlay(english, None, shape, Path(), ""))


def _overlay(english: Any, theirs: Any, shape: Any, path: Path, key: str) -> Any:
    """English data with each text taken from `theirs`. With `theirs=None`, only report whether
    the English has any text of this shape (a falsy result when it has none)."""
    if shape is True:
        if theirs is None:
            return english
        if isinstance(english, list) and (not isinstance(theirs, list) or len(theirs) != len(english)):
            raise UserError(f"{path}: key '{key}' must list {len(english)} item(s), as the English does")
        if not isinstance(english, list) and not isinstance(theirs, str):
            raise UserError(f"{path}: key '{key}' should be text in quotes")
        return theirs
    if isinstance(shape, list):
        if theirs is not None and (not isinstance(theirs, list) or len(theirs) != len(english)):
            raise UserError(f"{path}: key '{key}' must have {len(english)} entries, in the English order")
        merged = [
            _overlay(item, None if theirs is None else theirs[i], shape[0], path, f"{key}[{i + 1}]")
            for i, item in enumerate(english)
        ]
        return merged if theirs is not None else any(merged)
    if theirs is not None and not isinstance(theirs, dict):
        raise UserError(f"{path}: key '{key}' should be a table")
    own = {name: shape.get(name, shape.get("*")) for name in english}
    if theirs is not None:
        extra = sorted(set(theirs) - {name for name, sub in own.items() if sub is not None})
        if extra:
            raise UserError(
                f"{path}: key '{_join(key, extra[0])}' is not text to translate: it comes from the English file, "
                "remove it here"
            )
    merged = dict(english)
    found = False
    for name, sub in own.items():
        if sub is None or not english[name]:
            continue
        if theirs is None:
            found |= bool(_overlay(english[name], None, sub, path, _join(key, name)))
            continue
        if name not in theirs:
            raise UserError(f"{path}: key '{_join(key, name)}' has no translation: add it")
        merged[name] = _overlay(english[name], theirs[name], sub, path, _join(key, name))
    return merged if theirs is not None else found


def _join(key: str, name: str) -> str:
    return f"{key}.{name}" if key else name


@dataclass(frozen=True)
class Texts:
    """What a catalog prints: the part of it each language has its own of (the rest is the English file's)."""

    practice: Practice
    visits: dict[str, VisitType]
    modules: dict[str, Module]
    surgeons: dict[str, Surgeon]
    broken_surgeons: dict[str, str]  # surgeon ID -> what is wrong with the profile (in this language)
    post_op_starter: PostOpInstructions


def translated(catalog: Texts, search: SearchPath, lang: str) -> Texts:
    """`catalog`'s texts in `lang`: every visit type, module and the practice's text translated; a surgeon
    whose profile has no translation is listed as broken for this language (only their handouts stop)."""
    module_files, visit_files = search.names("modules", ".toml"), search.names("visits", ".toml")
    modules = {mid: translate(m, module_files[mid], lang, search) for mid, m in catalog.modules.items()}
    visits = {vid: translate(v, visit_files[vid], lang, search) for vid, v in catalog.visits.items()}
    practice = translate(catalog.practice, search.practice_file, lang, search)
    starter = catalog.post_op_starter
    if starter.model_dump(exclude_none=True):
        starter = translate(starter, search.builtin / POST_OP_STARTER, lang, search)
    surgeons, broken = {}, dict(catalog.broken_surgeons)
    fonts = Fonts(search, practice)
    for sid, surgeon in catalog.surgeons.items():
        try:
            path = search.names("surgeons", ".toml")[sid]
            surgeons[sid] = translate(surgeon, path, lang, search)
            check_printable(surgeons[sid], translation_file(path, lang), fonts)
        except UserError as exc:
            surgeons.pop(sid, None)
            broken[sid] = str(exc)
    return Texts(practice, visits, modules, surgeons, broken, starter)
