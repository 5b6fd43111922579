# `python -m recon_client …` (cli.py).
import sys

from .cli import main

sys.exit(main())
