"""``python -m loopintel``: the command line."""

from loopintel.cli import main

main()
