"""`python -m infogan_edu ...`: see `infogan_edu.cli`."""

import sys

from .cli import main

sys.exit(main())
