"""``python -m service.cli``: the ``commonground`` command line."""

import sys

from service.cli import main

sys.exit(main())
