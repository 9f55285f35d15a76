"""`python -m hiloop.cli` runs the `hiloop` command."""

import sys

from hiloop.cli import main

sys.exit(main())
