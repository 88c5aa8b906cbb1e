import sys

from metaloss.cli.app import main

sys.exit(main())
