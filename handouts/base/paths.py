"""Where the built-in templates, styles, content and assets live.

An installed wheel carries them inside the package (`handouts/_builtin/`); a source checkout
keeps them at the top of the repository, as the design card lays them out.
"""

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent  # handouts/, above this layer
_INSTALLED = _PACKAGE / "_builtin"
_CHECKOUT = _PACKAGE.parent

BUILTIN_ROOT = _INSTALLED if (_INSTALLED / "templates").is_dir() else _CHECKOUT
