"""``python -m metaloss``: the command line, as the ``metaloss`` console script."""

import sys

from metaloss.cli import main

sys.exit(main())
