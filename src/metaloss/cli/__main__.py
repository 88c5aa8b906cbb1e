"""``python -m metaloss.cli``: the command line."""

import sys

from metaloss.cli import main

sys.exit(main())
