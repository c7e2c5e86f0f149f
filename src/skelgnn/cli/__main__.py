"""``python -m skelgnn.cli``: the same as the ``skelgnn`` command."""

import sys

from . import main

sys.exit(main())
