"""The crs-sample corpus that some test_clean_evidence*.py tests read, and the mark that skips them without it.

Examples marked "crs" are copied from /work/shared/corpora/crs-sample (Congressional
Research Service reports); tests that read those files skip when the folder is absent.
"""

from __future__ import annotations

from pathlib import Path

import pytest

CRS = Path("/work/shared/corpora/crs-sample")
needs_crs = pytest.mark.skipif(not CRS.is_dir(), reason="crs-sample corpus not present")
