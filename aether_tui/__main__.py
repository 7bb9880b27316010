"""``python -m aether_tui``: same as the ``aether-tui`` command."""

import sys

from .cli import main

sys.exit(main())
