"""The build imports Great Expectations in the background while it loads the landing folder.

Run in a fresh interpreter: the test process itself has GX imported by other tests.
"""

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

PROGRAM = """
import sys
from quality import gx_suites
before = "great_expectations" in sys.modules
thread = gx_suites.warm_up()
thread.join(timeout=120)
print(before, thread.is_alive(), all(m in sys.modules for m in gx_suites._GX_MODULES))
"""


def test_warm_up_imports_great_expectations_in_a_thread() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM], cwd=REPO, capture_output=True, text=True, check=True
    )
    # importing the quality module alone does not import GX; the warm-up thread does, and ends
    assert done.stdout.split() == ["False", "False", "True"]
