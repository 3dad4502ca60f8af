"""`casebook watch`: rebuild on every change to content, layouts or fonts, and serve the output
folder on localhost with a preview page that reloads when a build finishes."""

from __future__ import annotations

import logging
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from .build import Session, build, read_project
from .errors import CasebookError
from .plan import State
from .profiles import SCREEN
from .progress import Reporter

log = logging.getLogger("casebook")


class Preview:
    """The state the server shows: how many builds finished, and the last error."""

    def __init__(self, content: Path, out: Path):
        self.content = content
        self.out = out
        self.session = Session()
        self.builds = 0
        self.error: str | None = None
        self.lock = threading.Lock()

    def rebuild(self) -> None:
        try:
            build(self.content, self.out, reporter=Reporter(), session=self.session)
            error = None
        except CasebookError as exc:
            error = str(exc)
            log.error("%s", exc)
        with self.lock:
            self.error = error
            self.builds += 1

    def page(self) -> tuple[bytes, str]:
        """The preview page, from layouts/preview.html.j2, for the last build that got as far
        as making outputs (the project is not read again per request)."""
        with self.lock:
            casebook, renderer = self.session.casebook, self.session.renderer
            builds, error = self.builds, self.error
        if casebook is None or renderer is None:  # no build got as far as the model yet
            return (error or "casebook: no build yet").encode(), "text/plain; charset=utf-8"
        edition = casebook.source
        records = State(self.out).outputs  # what the builds wrote, and what each output is
        outputs = []
        for ed in casebook.editions:
            made = {
                r["case"]: path
                for path, r in records.items()
                if r["profile"] == SCREEN.name and r["language"] == ed.language
            }
            files = [(made[None], ed.title)] if None in made else []
            files += [(made[c.slug], c.coalition) for c in ed.own_cases if c.slug in made]
            outputs.append((ed.language, [f for f in files if (self.out / f[0]).is_file()]))
        first = next((f"/{f[0][0]}" for _, f in outputs if f), "about:blank")
        page = renderer.page(
            "preview.html.j2", edition, outputs=outputs, first=first, builds=builds, error=error
        )
        return page.encode("utf-8"), "text/html; charset=utf-8"

    def reloading(self, html: bytes) -> bytes:
        """A web page of the output folder with layouts/watch-reload.html.j2 before its
        </body>: it reloads when a build finishes."""
        with self.lock:
            renderer, builds = self.session.renderer, self.builds
        if renderer is None:
            return html
        script = (
            renderer.environment(renderer.source_language)
            .get_template("watch-reload.html.j2")
            .render(builds=builds)
        )
        head, end, tail = html.rpartition(b"</body>")
        return head + script.encode("utf-8") + end + tail if end else html + script.encode()


class Handler(SimpleHTTPRequestHandler):
    preview: Preview

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/":  # the preview; the collection page stays at /index.html
            return self._send(*self.preview.page())
        if path == "/__casebook/builds":
            return self._send(str(self.preview.builds).encode(), "text/plain")
        page = Path(self.translate_path(path))
        page = page / "index.html" if page.is_dir() else page
        if page.suffix == ".html" and page.is_file() and path.endswith(("/", ".html")):
            return self._send(self.preview.reloading(page.read_bytes()), "text/html; charset=utf-8")
        return super().do_GET()

    def _send(self, body: bytes, kind: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Cache-Control", "no-store")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args) -> None:
        log.debug(format, *args)


def serve(preview: Preview, host: str, port: int) -> ThreadingHTTPServer:
    """Serve the output folder (with the fonts and stylesheets the site copies into it) and the
    preview page in a background thread."""
    handler = type("BoundHandler", (Handler,), {"preview": preview})
    server = ThreadingHTTPServer((host, port), partial(handler, directory=str(preview.out)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def watch(
    content: Path | str = "content",
    out: Path | str = "build",
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    stop: threading.Event | None = None,
) -> None:
    """Build, serve, and rebuild on every change until interrupted (or `stop` is set)."""
    from watchfiles import watch as watch_changes

    project, _ = read_project(content)
    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    preview = Preview(project.content, out)
    preview.rebuild()
    server = serve(preview, host, port)
    log.info("serving %s on http://%s:%d/ (Ctrl-C to stop)", out, host, server.server_port)
    folders = (project.content, *project.layouts.folders, *project.fonts.folders)
    roots = [str(p) for p in folders]
    try:
        for changes in watch_changes(*roots, stop_event=stop, debounce=300, step=100):
            names = sorted({Path(p).name for _, p in changes})
            log.info("changed: %s", ", ".join(names))
            preview.rebuild()
    finally:
        server.shutdown()
        server.server_close()
        preview.session.close()
