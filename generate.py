#!/usr/bin/env python3
"""`python generate.py ...` runs the same command line as the `handouts` script."""

from handouts.cli.main import main

if __name__ == "__main__":
    main()
