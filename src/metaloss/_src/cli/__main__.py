import sys

from metaloss._src.cli.app import main

sys.exit(main())
