"""``python -m zoning``: see :mod:`zoning.cli`."""

import sys

from zoning.cli import main

sys.exit(main())
