"""``python -m metaloss``: the command line, as the ``metaloss`` console script."""

import sys

from metaloss.cli import main

if __name__ == "__main__":  # not when something merely imports this module
    sys.exit(main())
