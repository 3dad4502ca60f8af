"""The `casebook` command: a thin shell over the library (`casebook.build`, `casebook.check`)."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

from . import __version__
from .build import build, check
from .errors import (
    EXIT_BROKEN_PIPE,
    EXIT_FILE_SYSTEM,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    CasebookError,
    ContentError,
)
from .plan import Selection
from .profiles import PROFILE_CHOICES
from .progress import Reporter
from .subjects import EXPORTS, subject_of
from .translations import (
    STATUSES,
    TranslationStatus,
    all_statuses,
    diff,
    new_translation,
    stamp_translation,
    word_diff,
)

log = logging.getLogger("casebook")


class _Parser(argparse.ArgumentParser):
    """Usage mistakes exit 1, as every other command-line mistake does (2 means content)."""

    def error(self, message: str):
        self.print_usage(sys.stderr)
        self.exit(1, f"{self.prog}: error: {message}\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
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
    build_cmd.add_argument(
        "-j",
        "--jobs",
        type=int,
        default=None,
        metavar="N",
        help="worker processes (default: the number of cores)",
    )
    build_cmd.add_argument(
        "--lang",
        action="append",
        default=[],
        metavar="LANG",
        help="build only this language's outputs (repeatable)",
    )
    build_cmd.add_argument(
        "--case",
        action="append",
        default=[],
        metavar="SLUG",
        help="build only this case's PDFs (repeatable); the books only with --book",
    )
    build_cmd.add_argument(
        "--book", action="store_true", help="with --case: build the books as well"
    )
    build_cmd.add_argument(
        "--profile",
        choices=PROFILE_CHOICES,
        help="screen (PDF/UA, the downloads), archive (PDF/A), print (PDF/X with bleed) or all; "
        "default: `profile` in casebook.yaml, else screen",
    )
    build_cmd.add_argument(
        "--html",
        action="store_true",
        help="also write the HTML of every output next to its PDF (for debugging layouts)",
    )
    build_cmd.add_argument(
        "-v", "--verbose", action="store_true", help="one line per output, with its timing"
    )
    build_cmd.add_argument(
        "--strict",
        action="store_true",
        help="fail (exit 3) if the layouts draw any warning, as MkDocs' strict mode does",
    )
    watch_cmd = commands.add_parser(
        "watch", help="build, serve build/ on localhost, and rebuild on every change"
    )
    common(watch_cmd)
    watch_cmd.add_argument("--out", default="build", metavar="DIR", help="default: build")
    watch_cmd.add_argument("--port", type=int, default=8000, help="default: 8000")
    watch_cmd.add_argument(
        "--host", default="127.0.0.1", help="default: 127.0.0.1 (this machine only)"
    )

    new_cmd = commands.add_parser(
        "new", help="start a new publication in DIR: an example case, ready to build"
    )
    new_cmd.add_argument("directory", metavar="DIR", help="a new or empty folder")
    new_cmd.add_argument(
        "--debug", action="store_true", help="show a traceback for unexpected errors"
    )
    new_cmd.add_argument("-q", "--quiet", action="store_true", help="print only errors")

    layouts_cmd = commands.add_parser(
        "layouts",
        help="list the layout files (packaged or the project's) and what uses each; copy one "
        "into the project to override it",
    )
    common(layouts_cmd)
    layouts_cmd.add_argument("--json", action="store_true", help="print a JSON array")
    layout_actions = layouts_cmd.add_subparsers(dest="action", metavar="ACTION")
    copy_cmd = layout_actions.add_parser(
        "copy", help="copy packaged layout files into the project's layouts/, to edit"
    )
    copy_cmd.add_argument("names", nargs="+", metavar="NAME", help="as `casebook layouts` lists")
    copy_cmd.add_argument("--force", action="store_true", help="overwrite the project's own copy")

    check_cmd = commands.add_parser("check", help="check the content and report every problem")
    common(check_cmd)

    tr_cmd = commands.add_parser(
        "translations", help="the status of every translation; start or stamp one"
    )
    common(tr_cmd)
    tr_cmd.add_argument("--json", action="store_true", help="print a JSON array")
    tr_cmd.add_argument(
        "--strict", action="store_true", help="exit 1 unless every translation is current"
    )
    actions = tr_cmd.add_subparsers(dest="action", metavar="ACTION")
    for name, text in (
        ("new", "write cases/SLUG/LANG.yaml with the source text in place, to translate"),
        ("stamp", "record that cases/SLUG/LANG.yaml now matches the current source"),
        ("diff", "show, unit by unit, what changed in the source since the last stamp"),
    ):
        action = actions.add_parser(name, help=text)
        action.add_argument("language", metavar="LANG")
        action.add_argument("slug", metavar="SLUG", help="a case (stamp, diff: or casebook)")
    export_cmd = actions.add_parser(
        "export", help="write XLIFF or PO files for a translator's tool, one per case"
    )
    export_cmd.add_argument("language", metavar="LANG")
    export_cmd.add_argument(
        "slugs", nargs="*", metavar="SLUG", help="cases (and casebook); default: all"
    )
    export_cmd.add_argument("--format", choices=("xliff", "po"), default="xliff")
    export_cmd.add_argument(
        "--out", default=str(EXPORTS), metavar="DIR",
        help=f"where to write LANG/SLUG.xlf or .po (default: {EXPORTS})",
    )  # fmt: skip
    import_cmd = actions.add_parser(
        "import", help="write the translations from XLIFF or PO files a translator returned"
    )
    import_cmd.add_argument("files", nargs="+", metavar="FILE")
    for action in actions.choices.values():  # also after the action: `… export es -q`
        action.add_argument(
            "--content",
            default=argparse.SUPPRESS,
            metavar="DIR",
            help="the content folder (default: content)",
        )
        action.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS,
                            help="print only errors")  # fmt: skip
    return parser


def _configure_logging(quiet: bool) -> None:
    """casebook's own messages on stderr; other libraries' only from WARNING up."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    log.handlers[:] = [handler]
    log.setLevel(logging.WARNING if quiet else logging.INFO)
    log.propagate = False


def run_translations(args: argparse.Namespace) -> int:
    casebook = check(args.content)
    if args.action == "new":
        path = new_translation(casebook, args.language, args.slug)
        log.info(
            "wrote %s: translate it, then run casebook translations stamp %s %s",
            path,
            args.language,
            args.slug,
        )
        return 0
    if args.action == "stamp":
        path = stamp_translation(casebook, args.language, args.slug)
        log.info("stamped %s: it now matches the current source", path)
        return 0
    if args.action == "diff":
        return run_diff(casebook, args)
    if args.action == "export":
        return run_export(casebook, args)
    if args.action == "import":
        return run_import(casebook, args)
    statuses = all_statuses(casebook)
    if args.json:
        rows = [{"case": s.case, "language": s.language, "status": s.status} for s in statuses]
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        print(format_table(statuses))
    if args.strict and any(s.status != "current" for s in statuses):
        return 1
    return 0


def run_diff(casebook, args: argparse.Namespace) -> int:
    subject = subject_of(casebook, args.language, args.slug)
    changes = diff(subject)
    for change in changes:
        what = "new" if change.old is None else "removed" if change.new is None else "changed"
        if change.old == change.new:
            what = "not confirmed (to translate or review)" if change.unconfirmed else "moved"
        elif change.unconfirmed:
            what += ", not confirmed"
        if change.moved_from:
            what += f" (the stamp had it in {change.moved_from})"
        print(f"{change.where} [{change.unit}]: {what}")
        print("  " + word_diff(change.old or "", change.new or ""))
    log.info(
        "%s: %s",
        subject.display,
        f"{len(changes)} unit(s) changed since the stamp or not confirmed"
        if changes
        else "nothing changed in the source since the stamp",
    )
    return 0


def run_export(casebook, args: argparse.Namespace) -> int:
    from .roundtrip import export  # translate-toolkit: only for the round trip

    for done in export(casebook, args.language, tuple(args.slugs), args.format, Path(args.out)):
        log.info(
            "wrote %s: %d units, %d translated, %d to review",
            done.path, done.units, done.translated, done.review,
        )  # fmt: skip
        for problem in done.unmatched:
            log.warning(
                "warning: %s: %s, so its units are exported untranslated", done.path, problem
            )
    return 0


def run_import(casebook, args: argparse.Namespace) -> int:
    from .roundtrip import import_files

    for done in import_files(casebook, [Path(f) for f in args.files]):
        wrote = [
            p.name
            for p, w in (
                (done.subject.path, done.translation),
                (done.subject.stamp_path, done.stamp),
            )
            if w
        ]
        log.info(
            "%s → %s: %d translated, %d to review, %d missing; %s",
            done.file, done.subject.display, done.translated, done.review, len(done.missing),
            f"wrote {' and '.join(wrote)}" if wrote else "nothing changed",
        )  # fmt: skip
        for part in done.fallbacks:
            log.warning("warning: %s stays in the source language: %s", done.subject.display, part)
    return 0


def run_layouts(args: argparse.Namespace) -> int:
    from .project import Project
    from .theme import copy_layout, layout_files

    project = Project.locate(args.content)
    if args.action == "copy":
        for name in args.names:
            path = copy_layout(project, name, force=args.force)
            log.info("copied %s to %s: edit it; every build now uses it instead", name, path)
        return 0
    files = layout_files(project)
    if args.json:
        rows = [
            {
                "name": f.name,
                "origin": f.origin,
                "overrides": f.overrides,
                "path": str(f.path),
                "used_by": list(f.used_by),
            }
            for f in files
        ]
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    width = max(len(f.name) for f in files)
    lines = [f"{'file':<{width}}  {'from':<9}  used by"]
    for f in files:
        origin = "project*" if f.overrides else f.origin
        lines.append(f"{f.name:<{width}}  {origin:<9}  {', '.join(f.used_by) or '-'}")
    folders = " over ".join(str(folder) for folder in project.layouts.folders)
    lines.append(f"{len(files)} files: {folders}; * replaces the packaged file of that name")
    print("\n".join(lines))
    return 0


def format_table(statuses: list[TranslationStatus]) -> str:
    """A plain-text table: case, language, status, and what is wrong."""
    width = max([len("case"), *(len(s.case) for s in statuses)])
    lines = [f"{'case':<{width}}  language  status      details"]
    for s in statuses:
        details = "; ".join(s.details) if s.status != "current" else ""
        lines.append(f"{s.case:<{width}}  {s.language:<8}  {s.status:<10}  {details}".rstrip())
    counts = {name: sum(1 for s in statuses if s.status == name) for name in STATUSES}
    lines.append(", ".join(f"{n} {name}" for name, n in counts.items()))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    _configure_logging(args.quiet)
    try:
        if args.command == "check":
            casebook = check(args.content)
            log.info("%s: %d cases, no problems", args.content, len(casebook.cases))
        elif args.command == "watch":
            from .watch import watch

            watch(args.content, args.out, host=args.host, port=args.port)
        elif args.command == "translations":
            return run_translations(args)
        elif args.command == "layouts":
            return run_layouts(args)
        elif args.command == "new":
            from .starter import new_project

            written = new_project(args.directory)
            log.info(
                "wrote %d files in %s: see its README.md, then run casebook build there",
                len(written),
                args.directory,
            )
        else:
            if args.jobs is not None and args.jobs < 1:
                raise CasebookError("--jobs must be 1 or more")
            build(
                args.content,
                args.out,
                jobs=args.jobs,
                selection=Selection(tuple(args.lang), tuple(args.case), args.book),
                html=args.html,
                reporter=Reporter(verbose=args.verbose, quiet=args.quiet),
                profile=args.profile,
                strict=args.strict,
            )
    except ContentError as exc:
        print(exc, file=sys.stderr)
        return exc.exit_code
    except CasebookError as exc:
        print(f"casebook: {exc}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:  # `casebook layouts | head -1`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except OSError as exc:
        where = f" {exc.filename}" if exc.filename else ""
        print(
            f"casebook: cannot read or write{where}: {exc.strerror or exc}. Check that the "
            "folder exists, that you may write to it, and that the disk has space; published "
            "files are unchanged or complete.",
            file=sys.stderr,
        )
        return EXIT_FILE_SYSTEM
    except KeyboardInterrupt:
        print("casebook: interrupted; published files are unchanged or complete", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:
        if args.debug:
            raise
        print(
            f"casebook: internal error: {type(exc).__name__}: {exc}\n"
            "This is a bug in casebook; run again with --debug for the traceback and "
            "report it.",
            file=sys.stderr,
        )
        return EXIT_INTERNAL
    return 0


if __name__ == "__main__":
    sys.exit(main())
