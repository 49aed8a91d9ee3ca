"""Who is grading, in the TAs' app: the login page, the session cookie, and the token every
form carries.

Two modes. On loopback (the default, one machine), a TA types a name, kept in a cookie:
today's friction-free use. Bound to anything else (`--host 0.0.0.0`), or with `--login`,
every page but the login page needs an account (`grade manual users add NAME`): a name
and password checked against the store (accounts.py), attempts limited per address and
per name, then a session cookie (HttpOnly, SameSite=Strict, Secure under TLS). Every
save is then the account's, and every form carries the session's own token, so neither
a page elsewhere nor anyone who read another page can post as a TA.
"""
from __future__ import annotations

import secrets
from typing import Any, Optional

from flask import Flask, abort, g, make_response, redirect, render_template, request, url_for

from grader.manual.accounts import SESSION_SECONDS, Accounts, Attempts, same

COOKIE = "hwg_session"
NAME_COOKIE = "ta"  # on loopback: the name a TA typed
OPEN = {"login", "login_page"}  # what a visitor without a session may reach


def install(app: Flask, accounts: Accounts, *, required: bool, secure: bool) -> None:
    """Add the login and logout routes and the checks to `app`."""
    run_token = secrets.token_urlsafe(16)  # forms without a session (the login page)
    attempts = Attempts(app.config.get("LOGIN_ATTEMPTS", 5),
                        app.config.get("LOGIN_WINDOW", 60.0))
    app.config.update(AUTH_REQUIRED=required)

    @app.before_request
    def who() -> Any:
        g.session = accounts.session(request.cookies.get(COOKIE, "")) if required else None
        g.run_token = run_token
        if required and g.session is None and request.endpoint not in OPEN:
            if request.method == "GET":
                return redirect(url_for("login_page"))
            abort(401, "log in first")
        return None

    @app.get("/login")
    def login_page() -> Any:
        if ta() is not None:
            return redirect(url_for("index"))
        return render_template("login.html.j2", required=required, error=None)

    @app.post("/login")
    def login() -> Any:
        check_token()
        if not required:  # loopback: the name is all there is
            response = make_response(redirect(url_for("index")))
            name = " ".join(request.form.get("ta", "").split())[:80]
            if name:
                response.set_cookie(NAME_COOKIE, name, samesite="Strict", httponly=True)
            return response
        return _password_login(accounts, attempts, secure)

    @app.post("/logout")
    def logout() -> Any:
        check_token()
        response = make_response(redirect(url_for("login_page" if required else "index")))
        if required:
            accounts.close_session(request.cookies.get(COOKIE, ""))
            response.delete_cookie(COOKIE, samesite="Strict", httponly=True, secure=secure)
        else:
            response.delete_cookie(NAME_COOKIE, samesite="Strict", httponly=True)
        return response


def _password_login(accounts: Accounts, attempts: Attempts, secure: bool) -> Any:
    name = " ".join(request.form.get("ta", "").split())[:80]
    keys = (f"addr:{request.remote_addr}", f"name:{name.casefold()}")
    wait = attempts.wait(*keys)
    if wait > 0:
        response = make_response(render_template(
            "login.html.j2", required=True,
            error=f"Too many failed attempts: try again in {int(wait) + 1} s."), 429)
        response.headers["Retry-After"] = str(int(wait) + 1)
        return response
    account = accounts.check(name, request.form.get("password", ""))
    if account is None:
        attempts.failed(*keys)
        return make_response(render_template(
            "login.html.j2", required=True, error="Wrong name or password."), 401)
    response = make_response(redirect(url_for("index")))
    response.set_cookie(COOKIE, accounts.open_session(account), max_age=SESSION_SECONDS,
                        samesite="Strict", httponly=True, secure=secure)
    return response


def ta() -> Optional[str]:
    """The TA making this request: the account logged in, or (on loopback) the name typed."""
    if getattr(g, "session", None) is not None:
        return g.session.name
    from flask import current_app

    if current_app.config.get("AUTH_REQUIRED"):
        return None
    name = (request.cookies.get(NAME_COOKIE) or "").strip()
    return name[:80] or None


def form_token() -> str:
    """The token this TA's forms carry: their session's own, or the app's on loopback."""
    session = getattr(g, "session", None)
    return session.csrf if session is not None else g.run_token


def check_token() -> None:
    if not same(request.form.get("token", ""), form_token()):
        abort(403, "this form is from another session of the app: reload the page")
