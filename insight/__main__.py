"""`python -m insight` is the `insight` command."""

from insight.cli import app

app(prog_name="insight")
