"""Benchmark `casebook build` on synthetic corpora made from the shipped cases.

    python benchmarks/bench_build.py                 # N = 10, 50, 200, 1000
    python benchmarks/bench_build.py --sizes 10 50   # a quicker run
    python benchmarks/bench_build.py --sizes 1000 --core   # cold, no-op and edit only

For each N it writes a project of N cases (the ten shipped cases repeated under new slugs and
coalition names; every fifth one with the shipped Spanish translation) and measures, each build
in a fresh process (the median of REPEATS runs where marked *):

- cold*: a full build into an empty folder (default --jobs: the number of cores; repeated up
  to REPEATED_COLD cases);
- no-op: the same build again (nothing changed);
- edit*: one case's text changed, then a build: the first " the " of the middle case's file
  doubled to two spaces (usually in its title, so the books' contents are laid out again too),
  then undone, then doubled again, a build after each;
- text edit*: then the last " the " of the same file changed to " this " (a word near the end
  of its text), and back, and again: the edit a typo fix makes: its parts and PDF, the joins
  and the site, but not the contents (unless the case's page count changes);
- watch edit: the same edit in a long-lived process (`casebook watch` keeps fonts, stylesheets
  and laid-out book parts between builds);
- jobs=1: a cold build with one process;
- peak memory: the largest total resident memory of the build's processes, sampled every 20 ms;
- ms/page: cold wall time divided by the pages of every PDF written;
- web: the seconds a second cold build (in a fresh process, into another folder) spends in the
  site stage: the web edition's pages and search index (see WEB: the case pages overlap the
  books); web % is its share of the cold build;
- naive*: plain WeasyPrint rendering each HTML file the build emits (`--html`), one after
  another, in one fresh process, timed from outside as the builds are (process start and
  imports counted on both sides; each run right after a cold build, so that both see the
  machine in the same state); the ratio is cold / naive.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# Builds and naive runs are timed REPEATS times and the median kept: the edits at every size,
# the cold build and the naive way up to REPEATED_COLD cases (a cold build of 200 cases takes
# a minute, the naive way two). Single runs on a shared 2-core machine vary by 20 % and more.
REPEATS = 3
REPEATED_COLD = 50
ROOT = Path(__file__).resolve().parents[1]
CONTENT = ROOT / "content"

NAIVE = """
import sys
from pathlib import Path
from weasyprint import HTML
out = Path(sys.argv[1])
files = sorted(
    p for p in out.rglob("*.html")
    if p.with_suffix(".pdf").is_file() and ".casebook" not in p.relative_to(out).parts
)
for path in files:
    HTML(filename=path).write_pdf(path.with_suffix(".naive.pdf"))
"""

# The web edition's share of a cold build: the wall time of the site stage's two steps inside a
# real cold build, in a fresh process, as `casebook build` runs it: the case pages and the start
# of their search index (in a thread of the main process, while the books are still being made)
# and the rest (the collection pages, waiting for the index, the manifest). The PDFs' thumbnails
# are drawn by the workers with the PDFs. The first step overlaps the books: what the site adds
# to a build's wall time is less than this.
WEB = """
import sys, time
import casebook
from casebook import site
spent = []
def timed(step):
    def run(*args):
        started = time.perf_counter()
        try:
            return step(*args)
        finally:
            spent.append(time.perf_counter() - started)
    return run
site.Publishing._case_pages = timed(site.Publishing._case_pages)
site.Publishing.finish = timed(site.Publishing.finish)
casebook.build(sys.argv[1], sys.argv[2])
print(sum(spent))
"""


def make_corpus(root: Path, size: int) -> Path:
    """A content folder with `size` cases made from the shipped ones."""
    content = root / "content"
    (content / "cases").mkdir(parents=True)
    settings = (CONTENT / "casebook.yaml").read_text(encoding="utf-8")
    settings = re.sub(r"\norder:\n(  - .*\n)+", "\n", settings)
    (content / "casebook.yaml").write_text(settings, encoding="utf-8")
    shutil.copy(CONTENT / "casebook.es.yaml", content / "casebook.es.yaml")
    shipped = sorted(p for p in (CONTENT / "cases").iterdir() if (p / "en.yaml").is_file())
    for n in range(size):
        source = shipped[n % len(shipped)]
        folder = content / "cases" / f"{source.name}-{n:04d}"
        folder.mkdir()
        text = (source / "en.yaml").read_text(encoding="utf-8")
        quoted = r'^coalition: "(.*)"$', rf'coalition: "\1 {n}"'
        plain = r"^coalition: ([^\"].*)$", rf"coalition: \1 {n}"
        for pattern, replacement in (quoted, plain):
            text = re.sub(pattern, replacement, text, count=1, flags=re.M)
        (folder / "en.yaml").write_text(text, encoding="utf-8")
        if n % 5 == 0 and (source / "es.yaml").is_file():
            shutil.copy(source / "es.yaml", folder / "es.yaml")
    return content


def rss_of_tree(pid: int) -> int:
    """Resident memory (bytes) of a process and all its descendants, from /proc."""
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total += int(re.search(r"VmRSS:\s+(\d+) kB", status)[1]) * 1024
            for task in Path(f"/proc/{current}/task").iterdir():
                stack.extend(int(c) for c in (task / "children").read_text().split())
        except (OSError, TypeError):
            continue
    return total


def timed_build(content: Path, out: Path, *args: str) -> tuple[float, int]:
    """Wall seconds and peak memory of one `casebook build` in a fresh process."""
    command = [
        sys.executable,
        "-m",
        "casebook",
        "build",
        "-q",
        "--content",
        str(content),
        "--out",
        str(out),
        *args,
    ]
    started = time.perf_counter()
    process = subprocess.Popen(command)
    peak = 0
    while process.poll() is None:
        peak = max(peak, rss_of_tree(process.pid))
        time.sleep(0.02)
    seconds = time.perf_counter() - started
    if process.returncode:
        raise SystemExit(f"build failed: {' '.join(command)}")
    return seconds, peak


def naive_run(html: Path) -> float:
    """Wall seconds of the naive way (see NAIVE) on the HTML files in `html`."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", NAIVE, str(html)], check=True)
    return time.perf_counter() - started


def median_edit(content: Path, out: Path, edited: Path, at: int, old: str, new: str) -> float:
    """The median wall seconds of REPEATS builds, each after the same one-case edit: `old` at
    character `at` of `edited` made `new`, then back, and so on (the file left as the last
    build saw it)."""
    seconds = []
    for number in range(REPEATS):
        before, after = (old, new) if number % 2 == 0 else (new, old)
        text = edited.read_text(encoding="utf-8")
        assert text[at : at + len(before)] == before, f"{edited}: no {before!r} at {at}"
        edited.write_text(text[:at] + after + text[at + len(before) :], encoding="utf-8")
        seconds.append(timed_build(content, out)[0])
    return statistics.median(seconds)


def watch_mode_edit(content: Path, out: Path, edited: Path) -> float:
    """Seconds for one-case edit in a long-lived process (`casebook watch` keeps its session)."""
    script = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from casebook.build import Session, build\n"
        "content, out, edited = map(Path, sys.argv[1:])\n"
        "session = Session()\n"
        "build(content, out, session=session)\n"
        "edited.write_text(edited.read_text(encoding='utf-8').replace(' the ', ' the   ', 1))\n"
        "started = time.perf_counter()\n"
        "build(content, out, session=session)\n"
        "print(time.perf_counter() - started)\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", script, str(content), str(out), str(edited)],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(run.stdout.split()[-1])


def pages_written(out: Path) -> tuple[int, int, int]:
    """(all pages, book pages, PDFs) of the PDFs in `out`."""
    from pypdf import PdfReader

    total = book = count = 0
    for path in out.rglob("*.pdf"):
        if path.name.endswith(".naive.pdf") or ".casebook" in path.relative_to(out).parts:
            continue
        pages = len(PdfReader(path).pages)
        total += pages
        count += 1
        if path.name == "casebook.pdf":
            book += pages
    return total, book, count


def web_edition(content: Path, out: Path) -> float:
    """Seconds of a cold build into `out` spent on the web edition (see WEB)."""
    done = subprocess.run(
        [sys.executable, "-c", WEB, str(content), str(out)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return float(done.stdout.strip())


def bench(size: int, work: Path, core: bool = False) -> dict:
    root = work / f"n{size}"
    content = make_corpus(root, size)
    out = root / "build"
    repeats = REPEATS if size <= REPEATED_COLD else 1
    if not core:  # the HTML the naive way renders
        timed_build(content, root / "build-html", "--html")
    colds, naives = [], []
    for _ in range(repeats):  # cold and naive alternated: both see the machine as it is
        shutil.rmtree(out, ignore_errors=True)  # each cold build into an empty folder
        colds.append(timed_build(content, out))
        if not core:
            naives.append(naive_run(root / "build-html"))
    cold, peak = statistics.median(c[0] for c in colds), max(c[1] for c in colds)
    total_pages, book_pages, pdfs = pages_written(out)
    noop, _ = timed_build(content, out)
    web = web_edition(content, root / "build-web")
    edited = sorted((content / "cases").iterdir())[size // 2] / "en.yaml"
    first = edited.read_text(encoding="utf-8").index(" the ")  # usually in its title
    edit = median_edit(content, out, edited, first, " the ", " the  ")
    last = edited.read_text(encoding="utf-8").rindex(" the ")  # near the end of its text
    text_edit = median_edit(content, out, edited, last, " the ", " this ")
    if core:  # the three builds a publisher runs all day; the rest takes hours at N = 1000
        shutil.rmtree(root)
        return _row(size, pdfs, total_pages, book_pages, cold, noop, edit, text_edit, peak, web)
    serial, serial_peak = timed_build(content, root / "build-j1", "--jobs", "1")
    watch_edit = watch_mode_edit(content, root / "build-watch", edited)
    naive = statistics.median(naives)
    shutil.rmtree(root)
    return {
        "cases": size,
        "pdfs": pdfs,
        "pages": total_pages,
        "book pages": book_pages,
        "cold s": cold,
        "no-op s": noop,
        "no-op %": 100 * noop / cold,
        "edit s": edit,
        "edit %": 100 * edit / cold,
        "text edit s": text_edit,
        "text edit %": 100 * text_edit / cold,
        "watch edit s": watch_edit,
        "watch edit %": 100 * watch_edit / cold,
        "jobs=1 s": serial,
        "speed-up": serial / cold,
        "peak MB": peak / 2**20,
        "jobs=1 peak MB": serial_peak / 2**20,
        "ms/page": 1000 * cold / total_pages,
        "naive s": naive,
        "cold/naive": cold / naive,
        "web s": web,
        "web %": 100 * web / cold,
    }


def _row(size, pdfs, total_pages, book_pages, cold, noop, edit, text_edit, peak, web) -> dict:
    row = {
        "cases": size, "pdfs": pdfs, "pages": total_pages, "book pages": book_pages,
        "cold s": cold, "no-op s": noop, "no-op %": 100 * noop / cold,
        "edit s": edit, "edit %": 100 * edit / cold,
        "text edit s": text_edit, "text edit %": 100 * text_edit / cold,
    }  # fmt: skip
    rest = ("watch edit s", "watch edit %", "jobs=1 s", "speed-up", "peak MB")
    row.update(dict.fromkeys(rest, "—"))
    row.update(
        {"peak MB": peak / 2**20, "jobs=1 peak MB": "—", "ms/page": 1000 * cold / total_pages}
    )
    row.update({"naive s": "—", "cold/naive": "—", "web s": web, "web %": 100 * web / cold})
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 50, 200, 1000])
    parser.add_argument(
        "--core", action="store_true", help="only the cold, no-op and one-case edit builds"
    )
    args = parser.parse_args()
    print(
        f"# {platform.node()}: {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.platform()}"
    )
    with tempfile.TemporaryDirectory(prefix="casebook-bench-") as work:
        for number, size in enumerate(args.sizes):
            row = bench(size, Path(work), args.core)
            if number == 0:
                print("| " + " | ".join(row) + " |")
                print("|" + "---|" * len(row))
            cells = [f"{v:.2f}" if isinstance(v, float) else str(v) for v in row.values()]
            print("| " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
