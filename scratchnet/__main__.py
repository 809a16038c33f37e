"""``python -m scratchnet ...`` runs the command line."""

import sys

from scratchnet.cli import main

sys.exit(main())
