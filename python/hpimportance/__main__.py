"""``python -m hpimportance``: the command line tool."""

from __future__ import annotations

import sys

from hpimportance._cli import main


sys.exit(main())
