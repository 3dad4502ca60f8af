"""The `casebook` command: a thin shell over the library (`casebook.build`, `casebook.check`)."""

from __future__ import annotations

import argparse
import logging
import sys

from . import __version__
from .build import build, check
from .errors import CasebookError, ContentError

log = logging.getLogger("casebook")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="casebook",
        description="Build print-quality PDFs of case studies from content/ into build/.",
    )
    parser.add_argument("--version", action="version", version=f"casebook {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def common(sub: argparse.ArgumentParser) -> None:
        sub.add_argument(
            "--content",
            default="content",
            metavar="DIR",
            help="the content folder holding casebook.yaml (default: content)",
        )
        sub.add_argument(
            "--debug", action="store_true", help="show a traceback for unexpected errors"
        )
        sub.add_argument("-q", "--quiet", action="store_true", help="print only errors")

    build_cmd = commands.add_parser("build", help="check the content, then write every PDF")
    common(build_cmd)
    build_cmd.add_argument(
        "--out", default="build", metavar="DIR", help="the output folder (default: build)"
    )
    check_cmd = commands.add_parser("check", help="check the content and report every problem")
    common(check_cmd)
    return parser


def _configure_logging(quiet: bool) -> None:
    """casebook's own messages on stderr; other libraries' only from WARNING up."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    log.handlers[:] = [handler]
    log.setLevel(logging.WARNING if quiet else logging.INFO)
    log.propagate = False


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    _configure_logging(args.quiet)
    try:
        if args.command == "check":
            publication = check(args.content)
            log.info("%s: %d cases, no problems", args.content, len(publication.cases))
        else:
            result = build(args.content, args.out)
            log.info("built %d files in %.1f s", len(result.outputs), result.seconds)
    except ContentError as exc:
        print(exc, file=sys.stderr)
        return exc.exit_code
    except CasebookError as exc:
        print(f"casebook: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("casebook: interrupted; published files are unchanged or complete", file=sys.stderr)
        return 130
    except Exception as exc:
        if args.debug:
            raise
        print(
            f"casebook: internal error: {type(exc).__name__}: {exc}\n"
            "This is a bug in casebook; run again with --debug for the traceback and "
            "report it.",
            file=sys.stderr,
        )
        return 70
    return 0


if __name__ == "__main__":
    sys.exit(main())
