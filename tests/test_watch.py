"""`casebook watch`: serves the outputs on localhost and rebuilds after an edit."""

from __future__ import annotations

import socket
import tempfile
import threading
import time
import urllib.request

import pytest

from casebook.watch import watch

from .conftest import CASE
from .pdfs import pdf_text


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read()


def wait_for(predicate, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError("timed out")


@pytest.mark.expect_warnings(  # the third edit makes the content invalid
    r"^ERROR casebook: content/cases/watched/en\.yaml:5: region: 'mars' is not one of"
)
def test_watch_serves_previews_and_rebuilds_after_an_edit(scratch, tmp_path, monkeypatch):
    private = tmp_path / "tmp"  # where WeasyPrint's font folder goes: empty once watch stops
    private.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(private))
    scratch.case("watched")
    port = free_port()
    stop = threading.Event()
    thread = threading.Thread(
        target=watch,
        args=(scratch.content, scratch.out),
        kwargs={"port": port, "stop": stop},
        daemon=True,
    )
    thread.start()
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: get(f"{base}/__casebook/builds") == b"1")
        page = get(f"{base}/").decode()
        assert 'href="/en/watched.pdf"' in page and "Test casebook" in page
        assert get(f"{base}/en/watched.pdf").startswith(b"%PDF")

        path = scratch.content / "cases" / "watched" / "en.yaml"
        path.write_text(CASE.replace("Context paragraph.", "Edited while watching."))
        wait_for(lambda: get(f"{base}/__casebook/builds") == b"2")
        assert "Edited while watching." in pdf_text(scratch.out / "en" / "watched.pdf")
        # The web edition's pages, served with a script that reloads them after a build (the
        # files on disk have none): the case page shows the edit.
        for url in (f"{base}/index.html", f"{base}/en/watched/", f"{base}/en/watched/index.html"):
            served = get(url).decode()
            assert 'fetch("/__casebook/builds"' in served and "const shown = 2;" in served, url
        assert "Edited while watching." in get(f"{base}/en/watched/").decode()
        assert "__casebook" not in (scratch.out / "en" / "watched" / "index.html").read_text()

        path.write_text(CASE.replace("region: europe", "region: mars"))
        wait_for(lambda: get(f"{base}/__casebook/builds") == b"3")
        assert "is not one of" in get(f"{base}/").decode()  # the error is shown
        assert get(f"{base}/en/watched.pdf").startswith(b"%PDF")  # the last good PDF stays
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive()
    assert not list(private.iterdir())
