"""The front-desk web page (`handouts serve`): pick a visit, type a name, print.

A small Flask app over the same pipeline as the command line (`build_request` -> `build`);
it adds forms, safe defaults for a browser, and nothing else about handouts. `create_app` is
imported on first use, so the command line does not load Flask unless the page is served.
"""

__all__ = ["create_app"]


def __getattr__(name: str):
    if name == "create_app":
        from .app import create_app

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
