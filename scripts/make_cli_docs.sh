#!/usr/bin/env bash
# Regenerate docs/cli.md from the CLI's own help text, so the docs never drift.
set -euo pipefail
cd "$(dirname "$0")/.."
typer insight.cli utils docs --name insight --title "insight command reference" --output docs/cli.md
