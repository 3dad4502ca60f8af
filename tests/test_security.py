"""Hostile input, failed and interrupted builds: content is data, nothing leaks, nothing is lost."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Callable
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

import casebook
from casebook.cli import main
from casebook.errors import RenderError

from .conftest import CASE, CONTENT, ROOT, Scratch
from .pdfs import pdf_text

QPDF = shutil.which("qpdf")


def assert_complete_pdf(path: Path) -> PdfReader:
    """The file is a whole PDF: it ends with its trailer, parses in pypdf's strict mode with at
    least one page whose text reads back, and qpdf --check (where installed) finds no fault."""
    data = path.read_bytes()
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF"), f"{path}: cut short"
    reader = PdfReader(BytesIO(data), strict=True)
    assert reader.pages and (reader.pages[0].extract_text() or "").strip(), f"{path}: no text"
    if QPDF:
        run = subprocess.run([QPDF, "--check", str(path)], capture_output=True, text=True)
        assert run.returncode == 0, f"{path}: {run.stdout[-500:]}"
    return reader


class Listener:
    """A TCP listener on localhost that counts the connections a build makes to it."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.running = True
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while self.running:
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            self.connections += 1
            conn.close()

    def close(self):
        self.running = False
        self.thread.join(timeout=2)
        self.sock.close()


@pytest.fixture
def listener():
    server = Listener()
    yield server
    server.close()


# ---- Content is data ----


def test_hostile_markdown_is_printed_as_text_and_never_fetched(scratch, listener):
    url = f"http://127.0.0.1:{listener.port}"
    hostile = (
        f'<script>alert(1)</script> <img src="{url}/pixel.png"> '
        '<link rel="attachment" href="file:///etc/passwd"> '
        f"[click](javascript:alert(1)) [local](file:///etc/passwd) [web]({url}/page) "
        f"![image]({url}/image.png) <iframe src='{url}'></iframe>"
    )
    scratch.case("hostile", CASE.replace("Context paragraph.", hostile))
    scratch.build()
    path = scratch.out / "en" / "hostile.pdf"
    text = pdf_text(path)
    assert "<script>alert(1)</script>" in text
    assert '<img src="' in text
    reader = PdfReader(path)
    assert "/EmbeddedFiles" not in str(reader.trailer["/Root"].get("/Names", {}))
    uris = [
        a.get_object()["/A"].get("/URI")
        for page in reader.pages
        for a in page.get("/Annots", []) or []
        if "/A" in a.get_object()
    ]
    # The http links stay links (an image in a body is only a link); nothing else became one.
    assert uris == [f"{url}/page", f"{url}/image.png"]
    assert listener.connections == 0


@pytest.mark.parametrize(
    "reference",
    [
        "file:///etc/passwd",
        "../../../../etc/passwd",
        "/etc/hostname",
        "http://{host}/x.png",
        "https://example.org/x.png",
        "ftp://{host}/x.png",
    ],
)
def test_layouts_cannot_reach_outside_files_or_the_network(scratch, listener, reference):
    shutil.copytree(ROOT / "layouts", scratch.root / "layouts")
    shutil.copytree(ROOT / "fonts", scratch.root / "fonts")
    reference = reference.format(host=f"127.0.0.1:{listener.port}")
    template = scratch.root / "layouts" / "case-body.html.j2"
    template.write_text(template.read_text() + f'\n<img src="{reference}" alt="x">\n')
    scratch.case("the-case")
    with pytest.raises(RenderError) as info:
        casebook.build(scratch.content, scratch.out, jobs=1)
    message = str(info.value)
    assert message.startswith("the-case/en.yaml") and ": refused to load " in message
    assert "Reference only files in the case folder" in message
    assert listener.connections == 0
    assert not (scratch.out / "en" / "the-case.pdf").exists()


def test_stylesheet_import_from_the_network_is_refused(scratch, listener):
    shutil.copytree(ROOT / "layouts", scratch.root / "layouts")
    shutil.copytree(ROOT / "fonts", scratch.root / "fonts")
    css = scratch.root / "layouts" / "case.css"
    css.write_text(f'@import url("http://127.0.0.1:{listener.port}/evil.css");\n' + css.read_text())
    scratch.case("the-case")
    assert (
        main(["build", "--content", str(scratch.content), "--out", str(scratch.out), "--jobs", "1"])
        == 3
    )
    assert listener.connections == 0


def test_cover_symlink_out_of_the_case_folder_is_refused(scratch, tmp_path):
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"\x89PNG\r\n\x1a\n")
    folder = scratch.case("linked").parent
    (folder / "cover.png").symlink_to(secret)
    scratch.case("linked", CASE + "cover:\n  image: cover.png\n  alt: A cover\n")
    with pytest.raises(casebook.ContentError) as info:
        casebook.check(scratch.content)
    assert "'cover.png' is outside the case folder" in str(info.value)


def test_language_codes_and_slugs_never_become_paths(scratch):
    scratch.write(
        "casebook.yaml",
        (scratch.content / "casebook.yaml")
        .read_text()
        .replace("languages: [en]", "languages: [en, ../../etc]"),
    )
    scratch.case("good")
    with pytest.raises(casebook.ContentError) as info:
        casebook.check(scratch.content)
    assert "languages: '../../etc' is not a language code such as en or es" in str(info.value)


# ---- Limits ----


def png_header(width: int, height: int) -> bytes:
    """A PNG whose header claims the given size (enough for a reader to refuse it)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b"")


def test_a_giant_image_is_refused_before_it_is_decoded(scratch):
    folder = scratch.case("giant").parent
    (folder / "cover.png").write_bytes(png_header(12000, 9000))
    scratch.case("giant", CASE + "cover:\n  image: cover.png\n  alt: A cover\n")
    with pytest.raises(casebook.ContentError) as info:
        casebook.check(scratch.content)
    assert "'cover.png' is 108 megapixels; the limit is 50 megapixels" in str(info.value)


def test_a_huge_file_and_a_case_of_thousands_of_pages_end_with_a_clear_error(scratch):
    scratch.case("huge", CASE + "# " + "x" * (3 * 1024 * 1024) + "\n")
    endless = "      " + "A paragraph of text that goes on. " * 40 + "\n\n"
    scratch.case("endless", CASE.replace("      Context paragraph.\n", endless * 400))
    started = time.monotonic()
    with pytest.raises(casebook.ContentError) as info:
        casebook.check(scratch.content)
    assert time.monotonic() - started < 10  # refused before any layout
    problems = [str(p) for p in info.value.problems]
    assert any(
        "cases/huge/en.yaml:1: file: is 3,14" in p and "the limit is 2,097,152" in p
        for p in problems
    ), problems
    assert any(
        "cases/endless/en.yaml" in p and "the limit is 400,000 (about 130 pages)" in p
        for p in problems
    ), problems


# ---- Interrupted and concurrent builds lose nothing ----


def run_build(content: Path, out: Path, *extra: str, epoch: int | None = None) -> subprocess.Popen:
    """`casebook build` in its own process; `epoch`: its SOURCE_DATE_EPOCH, which every PDF it
    writes carries as /ModDate (and which is an input of every output: all are made again).

    Its temporary files go beside the output folder: a killed build cannot remove WeasyPrint's.
    """
    temp = out.parent / "tmp"
    temp.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "TMPDIR": str(temp)}
    if epoch is not None:
        env["SOURCE_DATE_EPOCH"] = str(epoch)
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "casebook",
            "build",
            "--content",
            str(content),
            "--out",
            str(out),
            *extra,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


SMALL = ("hrdc-malawi", "unidosc-mexico", "vuka")  # three shipped cases, one translated
SMALL_PDFS = 6  # three English cases, the Spanish one, two books


@pytest.fixture
def shipped_copy(tmp_path) -> Path:
    """A copy of the shipped content cut to three cases: real text and layouts, and builds
    short enough to kill several times."""
    content = tmp_path / "content"
    shutil.copytree(
        CONTENT,
        content,
        ignore=lambda folder, names: [
            name for name in names if Path(folder).name == "cases" and name not in SMALL
        ],
    )
    settings = content / "casebook.yaml"
    text = settings.read_text(encoding="utf-8")
    order = "order:\n" + "".join(f"  - {slug}\n" for slug in SMALL)
    settings.write_text(re.sub(r"order:\n(?:  - .*\n)+", order, text), encoding="utf-8")
    return content


EPOCH = 1_700_000_000
DAY = 86_400


def written_by(epoch: int) -> str:
    """The /ModDate of a PDF written by a build with this SOURCE_DATE_EPOCH."""
    return datetime.fromtimestamp(epoch, UTC).strftime("D:%Y%m%d%H%M%S")


def files(out: Path, pattern: str) -> dict[str, tuple[int, int, int]]:
    """Each published file → inode, mtime and size: an atomic replacement is a new inode."""
    found = {}
    for path in out.glob(pattern):
        stat = path.stat()
        found[path.relative_to(out).as_posix()] = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
    return found


def kill_when(process: subprocess.Popen, moment: Callable[[], bool]) -> None:
    """SIGKILL the build at `moment`, and check that the kill is what ended it."""
    deadline = time.monotonic() + 120
    while not moment():
        if process.poll() is not None:
            pytest.fail(f"the build ended before the moment to kill it: {process.stderr.read()}")
        assert time.monotonic() < deadline, "the moment to kill the build never came"
        time.sleep(0.002)
    process.send_signal(signal.SIGKILL)
    assert process.wait() == -signal.SIGKILL, "the build had ended before the kill"


def test_sigkill_while_writing_leaves_every_published_pdf_old_or_new_and_complete(
    shipped_copy, tmp_path, monkeypatch
):
    """Kill builds while they write (deterministic moments, each checked to interrupt a build):
    every published PDF is then either the one from before the build, untouched, or a complete
    new one from the killed build; a last build leaves everything complete and current."""
    out = tmp_path / "build"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(EPOCH))
    casebook.build(shipped_copy, out, jobs=1)  # the complete outputs of the same content
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    pdfs: dict[str, tuple[int, int, int]] = {}
    thumbnails: dict[str, tuple[int, int, int]] = {}

    def made(before: dict, pattern: str) -> int:  # files published since the build started
        now = files(out, pattern)
        return sum(now[name] != before[name] for name in before)

    # (the moment, when it has come, how many PDFs are new after the kill, build options).
    # With --jobs 1 a build publishes each PDF as it is made, the case PDFs first, each screen
    # PDF with its thumbnail (drawn by the worker); then it saves its state and makes the pages
    # and the manifest.
    moments: list[tuple[str, Callable[[], bool], range, tuple[str, ...]]] = [
        (
            "writing the first PDF",
            lambda: any(out.glob("*/.*.pdf.*.part")) or made(pdfs, "*/*.pdf") > 0,
            range(2),
            ("--jobs", "1"),
        ),
        ("after 3 PDFs", lambda: made(pdfs, "*/*.pdf") >= 3, range(3, SMALL_PDFS), ("--jobs", "1")),
        (
            "writing the first thumbnail",
            lambda: made(thumbnails, "*/*.webp") > 0,
            range(1, SMALL_PDFS + 1),
            (),
        ),
    ]
    for round_number, (moment, come, new_pdfs, options) in enumerate(moments, 1):
        epoch = EPOCH + round_number * DAY  # every PDF is made again, stamped by this build
        pdfs, thumbnails = files(out, "*/*.pdf"), files(out, "*/*.webp")
        assert len(pdfs) == len(thumbnails) == SMALL_PDFS
        kill_when(run_build(shipped_copy, out, *options, epoch=epoch), come)
        now = files(out, "*/*.pdf")
        assert set(now) == set(pdfs), f"killed {moment}: published PDFs came or went"
        new = sorted(name for name in now if now[name] != pdfs[name])
        assert len(new) in new_pdfs, f"killed {moment}: {len(new)} new PDFs"
        for name in new:  # the others are untouched: the complete PDFs of an earlier build
            reader = assert_complete_pdf(out / name)
            assert reader.metadata["/ModDate"].startswith(written_by(epoch)), name

    # The next build, with the last killed build's inputs, repairs everything: no temporary file
    # left, every PDF current and complete, a thumbnail of each, the manifest agreeing.
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(epoch))
    result = casebook.build(shipped_copy, out, jobs=1)
    assert len(result.outputs) + len(result.up_to_date) == SMALL_PDFS
    assert not list(out.rglob(".*.part"))
    manifest = json.loads((out / "manifest.json").read_text())
    assert sorted(o["path"] for o in manifest["outputs"]) == sorted(files(out, "*/*.pdf"))
    from PIL import Image

    for output in manifest["outputs"]:
        path = out / output["path"]
        reader = assert_complete_pdf(path)
        assert reader.metadata["/ModDate"].startswith(written_by(epoch)), path
        assert hashlib.sha256(path.read_bytes()).hexdigest() == output["sha256"], path
        with Image.open(path.with_suffix(".webp")) as thumbnail:
            thumbnail.load()


def holds_lock(process: subprocess.Popen, out: Path) -> bool:
    """Whether `process` holds the build lock of `out` (a POSIX lock, listed in /proc/locks)."""
    try:
        inode = (out / ".casebook.lock").stat().st_ino
    except FileNotFoundError:
        return False
    for line in Path("/proc/locks").read_text().splitlines():
        fields = line.split()  # e.g. 1: POSIX ADVISORY WRITE <pid> <major>:<minor>:<inode> 0 EOF
        if "->" in fields or fields[1] != "POSIX":  # "->": a process waiting for a lock
            continue
        if int(fields[4]) == process.pid and int(fields[5].rsplit(":", 1)[1]) == inode:
            return True
    return False


SECOND = "unidosc-mexico"  # the one PDF the second build makes


def test_two_builds_at_once_do_not_corrupt_each_other(shipped_copy, tmp_path):
    """A second build started while a first one writes waits for it, then does its own work:
    the PDF it makes is the second's, the others the first's, all complete."""
    out = tmp_path / "build"
    first = run_build(shipped_copy, out, epoch=EPOCH)
    deadline = time.monotonic() + 60
    while not holds_lock(first, out):
        assert first.poll() is None, f"the first build ended early: {first.stderr.read()}"
        assert time.monotonic() < deadline, "the first build never took the lock"
        time.sleep(0.01)
    second = run_build(shipped_copy, out, "--lang", "es", "--case", SECOND, epoch=EPOCH + DAY)
    assert first.wait() == 0, first.stderr.read()
    assert second.wait() == 0, second.stderr.read()
    assert "waiting for it to finish" in second.stderr.read()
    pdfs = files(out, "*/*.pdf")
    assert len(pdfs) == SMALL_PDFS
    manifest = json.loads((out / "manifest.json").read_text())
    assert sorted(o["path"] for o in manifest["outputs"]) == sorted(pdfs)
    for output in manifest["outputs"]:
        path = out / output["path"]
        reader = assert_complete_pdf(path)
        epoch = EPOCH + DAY if output["path"] == f"es/{SECOND}.pdf" else EPOCH
        assert reader.metadata["/ModDate"].startswith(written_by(epoch)), path
        assert hashlib.sha256(path.read_bytes()).hexdigest() == output["sha256"], path


def test_an_unwritable_output_folder_is_a_clear_error(scratch, capsys):
    scratch.case("the-case")
    blocker = scratch.root / "not-a-folder"
    blocker.write_text("a file where the output folder should be")
    args = ["build", "-j", "1", "--content", str(scratch.content), "--out", str(blocker / "build")]
    code = main(args)
    err = capsys.readouterr().err
    assert code == 5
    assert "cannot read or write" in err and "Traceback" not in err


# ---- Generated content: either a valid PDF or a clear error ----

TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=0, max_size=300)
VALUE = st.recursive(
    st.none() | st.booleans() | st.integers() | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=6,
)
SECTION = st.fixed_dictionaries(
    {
        "kind": st.sampled_from(["context", "challenges", "lessons", "outcomes", "other"]),
        "body": TEXT | VALUE,
    },
    optional={"heading": TEXT},
)
CASE_DATA = st.fixed_dictionaries(
    {
        "coalition": TEXT,
        "title": TEXT | VALUE,
        "type": st.sampled_from(["coalition-response", "Bad Type", ""]),
        "date": st.sampled_from(["2020-11", "2021-13", "2020", "November 2020"]),
        "region": st.sampled_from(["europe", "africa", "atlantis"]),
        "authors": st.lists(TEXT, max_size=3) | VALUE,
        "summary": TEXT,
        "sections": st.lists(SECTION, max_size=4) | VALUE,
    },
    optional={"country": TEXT, "extra": VALUE},
)


NONEMPTY = TEXT.filter(lambda s: s.strip())
VALID_CASE = st.fixed_dictionaries(
    {
        "coalition": NONEMPTY,
        "title": NONEMPTY,
        "type": st.just("coalition-response"),
        "date": st.just("2020-11"),
        "region": st.sampled_from(["europe", "africa", "global"]),
        "authors": st.lists(NONEMPTY, min_size=1, max_size=3),
        "summary": NONEMPTY,
        "sections": st.lists(
            st.fixed_dictionaries(
                {
                    "kind": st.sampled_from(["context", "challenges", "lessons", "outcomes"]),
                    "body": NONEMPTY,
                },
                optional={"heading": NONEMPTY},
            ),
            min_size=1,
            max_size=4,
        ),
    },
    optional={"country": NONEMPTY},
)


@settings(
    max_examples=15,  # each a build: new examples at every run
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=CASE_DATA | VALID_CASE)
@pytest.mark.expect_warnings(
    r"\.notdef glyph rendered for Unicode string unsupported by fonts", optional=True
)  # generated text holds characters no font of the project has: said, never hidden
def test_generated_content_gives_a_valid_pdf_or_a_clear_error(tmp_path_factory, data):
    scratch = Scratch(tmp_path_factory.mktemp("generated"))
    scratch.write("cases/generated/en.yaml", yaml.safe_dump(data, allow_unicode=True))
    try:
        result = casebook.build(scratch.content, scratch.out, jobs=1)
    except casebook.ContentError as error:
        assert error.problems
        for problem in error.problems:
            assert problem.path.startswith("content/") and problem.line >= 1 and problem.key
        assert not scratch.out.exists()
        return
    for output in result.outputs:
        assert_complete_pdf(output.path)


@settings(max_examples=25, deadline=None)
@given(text=st.text(max_size=400))
def test_generated_yaml_text_never_crashes_check(tmp_path_factory, text):
    scratch = Scratch(tmp_path_factory.mktemp("raw"))
    scratch.write("cases/raw/en.yaml", text)
    try:
        casebook.check(scratch.content)
    except casebook.ContentError as error:
        assert all(str(p).startswith("content/") for p in error.problems)


def test_builds_leave_no_temporary_folder_even_when_killed(shipped_copy, tmp_path):
    """WeasyPrint's font folders (made with mkdtemp, removed only when garbage-collected, which
    a pool worker never is) go in the build's own `.casebook/tmp`, removed after the workers,
    or by the next build when this one was killed; never in TMPDIR."""
    out = tmp_path / "build"
    private = tmp_path / "tmp"  # run_build's TMPDIR
    assert run_build(shipped_copy, out, "--lang", "en").wait() == 0
    assert not list(private.iterdir()) and not (out / ".casebook" / "tmp").exists()
    workers = out / ".casebook" / "tmp"
    killed = run_build(shipped_copy, out, epoch=EPOCH)  # everything to make again
    kill_when(killed, lambda: any(workers.glob("worker-*/weasyprint-*")))
    assert not list(private.iterdir())  # the killed workers' fonts are in the build's folder
    assert run_build(shipped_copy, out, "--lang", "es", epoch=EPOCH).wait() == 0
    assert not workers.exists() and not list(private.iterdir())


def test_output_read_only_in_part_ends_quietly():
    """`casebook layouts | head -1`: no message about disks or permissions, exit 141."""
    reader = subprocess.Popen(
        [sys.executable, "-m", "casebook", "layouts", "--content", str(CONTENT)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    reader.stdout.close()  # the reader stops before casebook has printed anything
    _, err = reader.communicate()
    assert reader.returncode == 141, err
    assert err == b""
