"""Where the run's processes start from, and with which interpreter."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the repository: manage.py, config/, bin/
RESULTS = ROOT / "loadtests" / "results"
PYTHON = sys.executable  # children run in the runner's own virtual environment
