"""`python -m newsmon`: see newsmon.cli."""

import sys

from newsmon.cli import main

sys.exit(main())
