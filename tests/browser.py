"""The web pages as their readers and checkers see them: headless Chromium (the system's,
driven by Playwright for Python) on a localhost server, axe-core's WCAG checks in it, and the
Nu Html Checker (vnu-jar, run with Java). The checkers come from tests/node (npm ci)."""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from .conftest import missing_tool

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
NODE_MODULES = Path(__file__).resolve().parent / "node" / "node_modules"
AXE = NODE_MODULES / "axe-core" / "axe.min.js"
VNU = NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def browser_or_fail():
    """Playwright driving the system's Chromium; in CI a missing browser is a failure."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    if sync_playwright is None or CHROMIUM is None:
        message = (
            "the browser test needs Chromium (apt install chromium) and Playwright for Python "
            "(pip install playwright); .ci/run installs both"
        )
        missing_tool(message)
    return sync_playwright


@contextlib.contextmanager
def serving(folder: Path) -> Iterator[str]:
    """`folder` on a localhost server, as a static host serves it; its base URL."""

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def chromium():
    """A headless Chromium, closed after the block."""
    sync_playwright = browser_or_fail()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        try:
            yield browser
        finally:
            browser.close()


def axe_violations(page) -> list[str]:
    """axe-core's WCAG 2.1 A and AA violations on the page as it is now, one line each."""
    if not AXE.is_file():
        missing_tool("axe-core is not installed: npm ci --prefix tests/node")
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})"
        ".then(r => r.violations.map(v => [v.id, v.help, v.nodes.map(n => n.target.join(' '))]))",
        WCAG_AA,
    )
    return [f"{rule}: {text} at {', '.join(targets[:3])}" for rule, text, targets in found]


def vnu_errors(pages: list[Path]) -> list[str]:
    """The Nu Html Checker's errors on the pages, one line each ("<file>:<line>: <message>")."""
    java = shutil.which("java")
    if java is None or not VNU.is_file():
        missing_tool("the Nu Html Checker needs Java and vnu-jar (npm ci --prefix tests/node)")
    done = subprocess.run(
        [java, "-jar", str(VNU), "--errors-only", "--format", "json", *map(str, pages)],
        capture_output=True,
        text=True,
        check=False,
    )
    messages = json.loads(done.stderr or done.stdout or '{"messages": []}')["messages"]
    return [
        f"{m.get('url', '?').removeprefix('file:')}:{m.get('lastLine', '?')}: {m['message']}"
        for m in messages
    ]
