"""`python -m handouts` runs the same command line as the `handouts` script."""

from .cli import main

main()
