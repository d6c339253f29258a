"""`python -m herald --version`; the services start as `python -m herald.notifier` and `python -m herald.chat`."""

from __future__ import annotations

import argparse

import herald


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m herald", description=herald.__doc__.splitlines()[0] if herald.__doc__ else None,
        epilog="Run the services with `python -m herald.notifier` and `python -m herald.chat` (each has --help).")
    parser.add_argument("--version", action="version", version=f"herald {herald.__version__}")
    parser.parse_args(argv)
    parser.print_help()


if __name__ == "__main__":
    main()
