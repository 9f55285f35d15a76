"""The web app: its pages all load relay/web/index.html (the app routes on the client); its files are
served from relay/web/ under /static/."""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.routing import Route

from relay.errors import RelayError

WEB_DIR = Path(__file__).resolve().parent / "web"
PAGES = ("/", "/setup/{token}", "/join/{token}", "/pair/{pid}", "/s/{sid}", "/agents")

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".webmanifest": "application/manifest+json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".txt": "text/plain; charset=utf-8",
    ".map": "application/json",
    ".wasm": "application/wasm",
}

PLACEHOLDER = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Hiloop relay</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><h1>Hiloop relay</h1><p>The relay is running. The web app is not installed in this build.</p></body></html>
"""


def _resolve(web_dir: Path, relative: str) -> Path | None:
    """The file under `web_dir` that `relative` names, or None (missing, hidden, or outside)."""
    parts = relative.split("/")
    if not relative or any(p in ("", ".", "..") or p.startswith(".") or "\\" in p or "\x00" in p for p in parts):
        return None
    root = web_dir.resolve()
    path = (root / relative).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        return None
    return path


def make_web_routes(web_dir: Path = WEB_DIR) -> list[Route]:
    async def page(request: Request) -> Response:
        index = web_dir / "index.html"
        if index.is_file():
            return FileResponse(index, media_type=CONTENT_TYPES[".html"], headers={"cache-control": "no-cache"})
        return HTMLResponse(PLACEHOLDER)

    async def static(request: Request) -> Response:
        path = _resolve(web_dir, request.path_params["path"])
        if path is None:
            raise RelayError("not_found")
        media_type = CONTENT_TYPES.get(path.suffix.lower(), "application/octet-stream")
        return FileResponse(path, media_type=media_type, headers={"cache-control": "no-cache"})

    routes = [Route(p, page, methods=["GET"], name=f"page {p}") for p in PAGES]
    routes.append(Route("/static/{path:path}", static, methods=["GET"], name="static"))
    return routes
