"""`python -m slowtaper.cli`, the same as the `slowtaper` command."""

from . import main

main()
