"""Entry point of `wardwatch` and `python -m bot`: it only hands over to the CLI."""

from __future__ import annotations

import sys

from bot.cli import main as _cli_main


def main() -> None:
    """Run WardWatch's command line."""
    sys.exit(_cli_main())


if __name__ == "__main__":
    main()
