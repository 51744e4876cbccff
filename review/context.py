"""What the plugin's hooks and the review pages share: the server's state, who is signed in.

Kept apart from `plugin` (the hooks, which register the pages of `views`) so that the pages
need not import the plugin back.
"""
from __future__ import annotations

from dataclasses import dataclass

from . import auth, sessions


@dataclass
class State:
    database: str | None = None
    path: str | None = None
    revalidate: str | None = None
    https: bool = False  # behind an HTTPS reverse proxy: __Host- and Secure cookies
    origins: tuple = ()  # extra origins allowed to POST (e.g. the proxy's public address)
    trusted_proxies: tuple = ()  # peers whose X-Forwarded-For names the real client


def state(datasette) -> State:
    st = getattr(datasette, "_docintake_review", None)
    if st is None:
        st = State()
        datasette._docintake_review = st
    return st


def session_token(request_or_cookies) -> str | None:
    cookies = getattr(request_or_cookies, "cookies", request_or_cookies)
    return cookies.get(sessions.SECURE_COOKIE) or cookies.get(sessions.COOKIE)


def role_of(actor) -> str | None:
    if isinstance(actor, dict) and actor.get("docintake") and actor.get("role") in auth.ROLES:
        return actor["role"]
    return None
