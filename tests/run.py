"""Run the real `insight` command as a user would, and see what they would see.

By default the command runs inside the test's process (Click's test runner) with the
process's look kept: exit code, stdout and stderr apart, and an exception the command does
not handle printed as Python would, with exit code 1, so a test that says "no traceback"
still can fail. Starting Python and importing pandas, SQLAlchemy and scikit-learn again for
each of the suite's ~1,000 commands cost about a second each.
`INSIGHT_TEST_CLI=subprocess` runs every command in a new `python -m insight` process
instead; tests of what only a process shows (a closed pipe, being killed, the entry point)
start one themselves.
"""

from __future__ import annotations

import os
import subprocess
import sys
import traceback
from pathlib import Path

CLI_ENV = {"INSIGHT_USER": "cli-tester"}


def run_cli(*args: str, cwd: Path | None = None, input: str | None = None,
            user: str | None = None) -> subprocess.CompletedProcess[str]:
    """`user`: who runs it ($INSIGHT_USER), if not the tests' usual person."""
    env = {**CLI_ENV, **({"INSIGHT_USER": user} if user is not None else {})}
    if os.environ.get("INSIGHT_TEST_CLI") == "subprocess":
        return _in_a_process(args, cwd, input, env)
    return _in_this_process(args, cwd, input, env)


def _in_a_process(args: tuple[str, ...], cwd: Path | None, input: str | None,
                  user_env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **user_env}
    env.pop("INSIGHT_WORKSPACE", None)
    return subprocess.run(
        [sys.executable, "-m", "insight", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=600, input=input,
    )


def _in_this_process(args: tuple[str, ...], cwd: Path | None, input: str | None,
                     user_env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    from typer.testing import CliRunner

    from insight.cli import app

    here = Path.cwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        result = CliRunner().invoke(
            app, list(args), input=input, env={**user_env, "INSIGHT_WORKSPACE": None},
            prog_name="insight",
        )
    finally:
        os.chdir(here)
    stderr, code = result.stderr, result.exit_code
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        stderr += "".join(traceback.format_exception(result.exception))
        code = 1
    return subprocess.CompletedProcess(
        ["insight", *args], code, stdout=result.stdout, stderr=stderr
    )
