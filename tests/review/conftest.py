from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from datasette.app import Datasette

from . import builder

PLUGIN_CONFIG = {"plugins": {"docintake-review": {}}}  # the real intake.store.revalidate


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.fixture(scope="session")
def template_db(tmp_path_factory) -> dict:
    """Built once (argon2 hashing is deliberately slow); each test gets a copy."""
    return builder.build(tmp_path_factory.mktemp("review_template"))


@pytest.fixture
def built(template_db, tmp_path) -> dict:
    src = Path(template_db["db"]).parent
    dst = tmp_path / "data"
    shutil.copytree(src, dst)
    ids = dict(template_db)
    ids["db"] = dst / "docintake.db"
    # page image paths are absolute into the template folder; point them at the copy
    import sqlite3

    conn = sqlite3.connect(ids["db"])
    conn.execute("UPDATE pages SET image_path = replace(image_path, ?, ?)", (str(src), str(dst)))
    conn.execute("UPDATE files SET archive_path = replace(archive_path, ?, ?)", (str(src), str(dst)))
    conn.commit()
    conn.close()
    return ids


@pytest.fixture
async def ds(built):
    datasette = Datasette([str(built["db"])], metadata=PLUGIN_CONFIG)
    await datasette.invoke_startup()
    return datasette


class Session:
    """A signed-in (or anonymous) client that keeps cookies like a browser."""

    def __init__(self, ds, client: tuple[str, int] | None = None):
        self.ds = ds
        self.cookies: dict[str, str] = {}
        self.client = client  # the peer address the server sees (default: Datasette's 127.0.0.1)

    async def _send(self, method, path, **kw):
        if self.client is None:
            return await getattr(self.ds.client, method)(path, **kw)
        import httpx

        transport = httpx.ASGITransport(app=self.ds.app(), client=self.client)
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as c:
            return await getattr(c, method)(path, **kw)

    def _update(self, response):
        for header in response.headers.get_list("set-cookie"):
            name, _, rest = header.partition("=")
            value = rest.split(";", 1)[0]
            if "max-age=0" in header.lower() or value == "":
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value

    async def get(self, path, **kw):
        r = await self._send("get", path, cookies=dict(self.cookies), **kw)
        self._update(r)
        return r

    async def post(self, path, data=None, json_accept=False, csrf=True, headers=None, **kw):
        headers = dict(headers or {})
        if json_accept:
            headers["accept"] = "application/json"
        if "ds_csrftoken" not in self.cookies:
            await self.get("/-/review/login")
        data = dict(data or {})
        if csrf:
            data.setdefault("csrftoken", self.csrftoken())
        r = await self._send("post", path, data=data, cookies=dict(self.cookies), headers=headers, **kw)
        self._update(r)
        return r

    def csrftoken(self) -> str:
        # asgi-csrf's form token is the (signed) cookie value itself
        return self.cookies.get("ds_csrftoken", "")

    async def login(self, username, password=builder.PASSWORD):
        r = await self.get("/-/review/login")
        assert re.search(r'name="csrftoken" value="([^"]+)"', r.text)
        r = await self.post("/-/review/login", {"username": username, "password": password})
        return r


@pytest.fixture
def session(ds):
    def make():
        return Session(ds)

    return make


@pytest.fixture
def login(session):
    async def make(name):
        s = session()
        r = await s.login(name)
        assert r.status_code == 302, r.text
        return s

    return make
