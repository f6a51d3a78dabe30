"""Run the real `insight` command in a subprocess, as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run_cli(*args: str, cwd: Path | None = None,
            input: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "INSIGHT_USER": "cli-tester"}
    env.pop("INSIGHT_WORKSPACE", None)
    return subprocess.run(
        [sys.executable, "-m", "insight", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=600, input=input,
    )
