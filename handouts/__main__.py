"""The `handouts` process: `python -m handouts` and the `handouts` script both start here.

Loading the command line (WeasyPrint, pydantic, Jinja2) makes hundreds of thousands of
objects that live as long as the process. Python's cycle collector would walk them over and over
while they load, for nothing. So it waits until they are loaded,
and then they are set aside (`gc.freeze`); what a command makes afterwards is collected as usual.
"""

import gc
import os


def run() -> None:
    # pydantic looks for plugins (observability hooks) among every installed package's entry points
    # before it builds its first validator; this program uses none.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    gc.disable()
    from .cli.main import main

    gc.freeze()
    gc.enable()
    main()


if __name__ == "__main__":
    run()
