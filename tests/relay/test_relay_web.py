import pytest
from starlette.applications import Starlette
import httpx

from relay.errors import EXCEPTION_HANDLERS
from relay.web_routes import PLACEHOLDER, make_web_routes

pytestmark = pytest.mark.anyio

PAGES = ["/", "/setup/hls_x", "/join/hlg_x", "/pair/p_x", "/s/s_x", "/agents"]


@pytest.fixture
def web_dir(tmp_path):
    d = tmp_path / "web"
    (d / "js").mkdir(parents=True)
    (d / "index.html").write_text("<!doctype html><title>app</title>")
    (d / "js" / "app.mjs").write_text("export const x = 1;")
    (d / "js" / "old.js").write_text("var x;")
    (d / "style.css").write_text("body{}")
    (d / ".secret").write_text("no")
    (tmp_path / "outside.txt").write_text("no")
    return d


def client(web_dir):
    app = Starlette(routes=make_web_routes(web_dir), exception_handlers=EXCEPTION_HANDLERS)  # type: ignore[arg-type]
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


async def test_every_app_page_serves_index_html(web_dir):
    async with client(web_dir) as c:
        for page in PAGES:
            r = await c.get(page)
            assert r.status_code == 200, page
            assert r.text == "<!doctype html><title>app</title>"
            assert r.headers["content-type"].startswith("text/html")


async def test_without_index_html_a_placeholder_page_is_served(tmp_path):
    async with client(tmp_path / "empty") as c:
        r = await c.get("/")
    assert r.status_code == 200 and r.text == PLACEHOLDER


async def test_static_files_have_the_right_content_types(web_dir):
    async with client(web_dir) as c:
        for path, kind in (("js/app.mjs", "text/javascript"), ("js/old.js", "text/javascript"),
                           ("style.css", "text/css"), ("index.html", "text/html")):
            r = await c.get(f"/static/{path}")
            assert r.status_code == 200
            assert r.headers["content-type"].split(";")[0] == kind


async def test_static_files_never_leave_the_web_folder(web_dir):
    async with client(web_dir) as c:
        for path in ("../outside.txt", "js/../../outside.txt", "%2e%2e/outside.txt", ".secret", "js/",
                     "nothing.js", "js//app.mjs", "..%2foutside.txt"):
            r = await c.get(f"/static/{path}")
            assert r.status_code == 404, path


async def test_the_relay_serves_its_pages(asgi_client):
    r = await asgi_client.get("/join/hlg_token")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
