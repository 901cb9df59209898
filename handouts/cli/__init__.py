"""The `handouts` command line, on top of every other layer."""
