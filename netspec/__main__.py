"""`python -m netspec ...` is `netc ...` (the form DDP workers are started with)."""

import sys

from netspec.cli import main

sys.exit(main())
