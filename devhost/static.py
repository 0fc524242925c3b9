"""devhost serves the browser front ends (`web/`) beside the API, as Static Web Apps does in Azure.

`/` is the storefront (`web/index.html`), `/admin/` the back office (`web/admin/index.html`), and
every other path outside the Functions route prefix (`/api`) and devhost's own `/runtime/` is a
file under `web/`. Only GET and HEAD are served; paths are resolved inside the root (no `..`, no
hidden files, no symlinks leading out), and only known file types are served, each with its exact
content type. Files carry no content hash in their names (there is no build step), so browsers are
told to revalidate (`no-cache` + ETag/Last-Modified: a 304 costs one round trip, a stale module
never survives an edit). The same security headers are set in `web/staticwebapp.config.json` for
Azure; tests/e2e/test_devhost_static.py checks both agree on the CSP.
"""

from __future__ import annotations

import logging
from pathlib import Path, PurePosixPath

from aiohttp import web

log = logging.getLogger("devhost.static")

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
    ".webp": "image/webp",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
    ".txt": "text/plain; charset=utf-8",
    ".map": "application/json",
}

# Same policy as web/staticwebapp.config.json. `connect-src 'self'`: the pages call the API on
# their own origin (devhost here, the Static Web App's linked APIM backend in Azure); a deployment
# with the API on another origin adds it there.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
CACHE_CONTROL = "no-cache"


class StaticSite:
    """The files under `root`, for every path that is not the API's or devhost's own."""

    def __init__(self, root: Path, api_prefix: str) -> None:
        self.root = root.resolve()
        prefix = "/" + api_prefix.strip("/") if api_prefix.strip("/") else ""
        self.reserved = tuple(p for p in (prefix, "/runtime") if p)
        # claims() runs for every GET: one set lookup and one startswith instead of a generator.
        self._reserved_paths = frozenset(self.reserved)
        self._reserved_prefixes = tuple(p + "/" for p in self.reserved)

    def claims(self, request: web.Request) -> bool:
        """True when the request is for the site (and not for a function or devhost itself)."""
        if request.method not in {"GET", "HEAD"}:
            return False
        path = request.path.lower()
        return not (path in self._reserved_paths or path.startswith(self._reserved_prefixes))

    def resolve(self, url_path: str) -> Path | None:
        """The file a URL path names, or None (missing, hidden, outside the root, unknown type)."""
        if "\\" in url_path or "\x00" in url_path:
            return None
        parts = PurePosixPath(url_path).parts[1:]  # drop the leading "/"
        if any(part in {".", ".."} or part.startswith(".") for part in parts):
            return None
        candidate = self.root.joinpath(*parts)
        try:
            real = candidate.resolve(strict=True)
        except (OSError, RuntimeError):
            return None
        if not real.is_relative_to(self.root):
            return None  # a symlink out of the tree
        if real.is_dir():
            real = real / "index.html"
            if not real.is_file():
                return None
        if not real.is_file() or real.suffix.lower() not in CONTENT_TYPES:
            return None
        return real

    async def handle(self, request: web.Request) -> web.StreamResponse | None:
        """The response for a claimed request; None lets the caller answer (404 problem)."""
        path = request.path
        if path.lower() in {"/admin", "/store"}:  # relative module URLs need the trailing slash
            raise web.HTTPMovedPermanently(path + "/")
        file = self.resolve(path)
        if file is None:
            return None
        headers = {
            **SECURITY_HEADERS,
            "Content-Type": CONTENT_TYPES[file.suffix.lower()],
            "Cache-Control": CACHE_CONTROL,
        }
        # FileResponse sets ETag and Last-Modified and answers If-None-Match / If-Modified-Since (304)
        # and ranges; the Content-Type set here wins over its guess.
        return web.FileResponse(file, headers=headers)


def default_web_root(cwd: Path) -> Path | None:
    root = cwd / "web"
    return root if (root / "index.html").is_file() else None
