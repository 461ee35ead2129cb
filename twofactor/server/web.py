"""What the server gives a browser: the web client, GraphiQL from the package's own files, security headers."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from starlette.datastructures import MutableHeaders
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Built by web/build from web/src and web/package-lock.json; shipped inside the package.
STATIC_DIR = Path(__file__).resolve().parent.parent / "static"

# No inline script, nothing from another origin, never inside a frame. GraphiQL and React set
# inline styles, so styles allow them; WebSockets to the same host match 'self' (CSP Level 3).
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
SECURITY_HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "referrer-policy": "no-referrer",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
}


@cache
def graphiql_page() -> str:
    """GraphiQL's page, loading its scripts and styles from /static (works without internet)."""
    return (STATIC_DIR / "graphiql" / "graphiql.html").read_text(encoding="utf-8")


@cache
def web_client_page() -> str:
    """The web client's page: sign-in, "Your 2FA" and the admin page, all from /static/app."""
    return (STATIC_DIR / "app" / "index.html").read_text(encoding="utf-8")


async def web_client(_: Request) -> Response:
    """`/`: the web client (`TWOFACTOR_WEB_CLIENT=false` leaves the API alone)."""
    return HTMLResponse(web_client_page(), headers={"Cache-Control": "no-cache"})


def static_files() -> Mount:
    """/static: the shipped browser files, compressed for clients that accept it."""
    return Mount("/static", app=GZipMiddleware(StaticFiles(directory=STATIC_DIR)), name="static")


class SecurityHeaders:
    """Adds the security headers to every HTTP answer (pages and API alike)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)
