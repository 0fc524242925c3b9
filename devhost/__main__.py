"""Entry point: `python -m devhost ...` (see devhost.cli)."""

import sys

from devhost.cli import main

sys.exit(main())
