"""Stage 7, publish: atomic writes, paths kept inside the output folder, one build per folder."""

from __future__ import annotations

import logging
import multiprocessing
import os
import stat
from pathlib import Path

import pytest

from casebook import publish
from casebook.errors import CasebookError
from casebook.publish import build_lock, inside, write_atomic


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".part"))


# ---- write_atomic ----


def test_write_atomic_writes_the_bytes_and_its_folders(tmp_path):
    target = tmp_path / "build" / "en" / "case.pdf"
    write_atomic(target, b"%PDF first")
    assert target.read_bytes() == b"%PDF first"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    write_atomic(target, b"%PDF second")
    assert target.read_bytes() == b"%PDF second"
    assert sorted(p.name for p in target.parent.iterdir()) == ["case.pdf"]


@pytest.mark.parametrize("failing", ["replace", "fsync"])
def test_a_failed_write_leaves_the_old_file_and_no_part(tmp_path, monkeypatch, failing):
    target = tmp_path / "case.pdf"
    target.write_bytes(b"%PDF old")

    def fail(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(publish.os, failing, fail)
    with pytest.raises(OSError, match="No space left"):
        write_atomic(target, b"%PDF new")
    monkeypatch.undo()
    assert target.read_bytes() == b"%PDF old"
    assert leftovers(tmp_path) == []


def test_an_interrupted_write_leaves_the_old_file_and_no_part(tmp_path, monkeypatch):
    target = tmp_path / "case.pdf"
    target.write_bytes(b"%PDF old")

    def interrupt(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(publish.os, "replace", interrupt)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(target, b"%PDF new")
    monkeypatch.undo()
    assert target.read_bytes() == b"%PDF old"
    assert leftovers(tmp_path) == []


def test_the_temporary_file_is_beside_its_target_until_the_rename(tmp_path, monkeypatch):
    target = tmp_path / "en" / "case.pdf"
    seen = []
    real = os.replace

    def spy(source, destination):
        seen.append((Path(source), Path(destination), Path(source).read_bytes()))
        real(source, destination)

    monkeypatch.setattr(publish.os, "replace", spy)
    write_atomic(target, b"%PDF data")
    ((source, destination, data),) = seen
    assert destination == target
    assert source.parent == target.parent
    assert source.name.startswith(".case.pdf.") and source.name.endswith(".part")
    assert data == b"%PDF data"  # complete before it takes the target's name


# ---- inside ----


def test_inside_gives_paths_under_the_output_folder(tmp_path):
    out = tmp_path / "build"
    assert inside(out, "en", "case.pdf") == out.resolve() / "en" / "case.pdf"
    assert inside(out, "en/../es/case.pdf") == out.resolve() / "es" / "case.pdf"
    assert inside(out, "print/en/casebook.pdf") == out.resolve() / "print/en/casebook.pdf"


@pytest.mark.parametrize("parts", [("..", "x.pdf"), ("en/../../x.pdf",), ("/etc/passwd",)])
def test_inside_refuses_paths_that_leave_the_output_folder(tmp_path, parts):
    with pytest.raises(CasebookError, match="outside the output folder"):
        inside(tmp_path / "build", *parts)


def test_inside_refuses_a_link_out_of_the_output_folder(tmp_path):
    out = tmp_path / "build"
    out.mkdir()
    (tmp_path / "elsewhere").mkdir()
    (out / "en").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(CasebookError, match="outside the output folder"):
        inside(out, "en", "case.pdf")


# ---- build_lock ----
# `lockf` locks belong to a process: a second lock taken in this process would succeed, so the
# other builds are child processes.

FORK = multiprocessing.get_context("fork")


def try_lock(out: Path, wait: bool, conn) -> None:
    """In a child process: take the lock and say what happened."""

    class Send(logging.Handler):
        def emit(self, record):
            conn.send(("log", record.getMessage()))

    logger = logging.getLogger("casebook")
    logger.addHandler(Send())
    logger.setLevel(logging.INFO)
    try:
        with build_lock(out, wait=wait):
            conn.send(("locked", ""))
    except CasebookError as exc:
        conn.send(("refused", str(exc)))


def other_build(out: Path, wait: bool = False):
    ours, theirs = FORK.Pipe()
    process = FORK.Process(target=try_lock, args=(out, wait, theirs))
    process.start()
    return process, ours


def finish(process) -> None:
    process.join(10)
    assert process.exitcode == 0


def test_a_second_build_is_refused_while_the_first_holds_the_lock(tmp_path):
    out = tmp_path / "build"
    with build_lock(out, wait=False):
        assert (out / ".casebook.lock").is_file()
        process, conn = other_build(out)
        assert conn.poll(10)
        what, message = conn.recv()
        finish(process)
        assert what == "refused"
        assert "another casebook build is writing to" in message
        assert str(out) in message
    process, conn = other_build(out)  # released: the next build may go ahead
    assert conn.poll(10)
    assert conn.recv() == ("locked", "")
    finish(process)


def test_the_lock_is_released_when_the_build_fails(tmp_path):
    out = tmp_path / "build"
    with pytest.raises(RuntimeError), build_lock(out):
        raise RuntimeError("a failed build")
    process, conn = other_build(out)
    assert conn.poll(10)
    assert conn.recv() == ("locked", "")
    finish(process)


def test_a_waiting_build_goes_ahead_when_the_first_is_done(tmp_path):
    out = tmp_path / "build"
    with build_lock(out):
        process, conn = other_build(out, wait=True)
        assert conn.poll(10)
        what, message = conn.recv()
        assert what == "log"
        assert "waiting for it to finish" in message
        assert not conn.poll(0.1)  # still waiting
        assert process.is_alive()
    assert conn.poll(10)
    assert conn.recv() == ("locked", "")
    finish(process)
