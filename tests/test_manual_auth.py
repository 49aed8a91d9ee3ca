"""The TAs' app on the network (issue 19, item 7): with `grade manual --host 0.0.0.0` anyone
on the network read the form token from `/`, called themselves a TA and graded
themselves. Beyond loopback the app now asks for TA accounts (scrypt hashes in the store),
limits login attempts, records every save under the account, serves through cheroot (TLS
with --certfile/--keyfile, a loud warning without), and loopback stays as it was."""
from __future__ import annotations

import datetime
import http.cookiejar
import ipaddress
import json
import re
import shutil
import signal
import ssl
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from conftest import EXAMPLES, GRADE, ROOT

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("class")
    for name in ("alice", "bob"):
        shutil.copytree(EXAMPLES / name, root / "submissions" / name)
    proc = subprocess.run([*GRADE, str(root / "submissions"), "--out", str(root / "reports"),
                           "--jobs", "2"], capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert proc.returncode == 0, proc.stderr
    return root / "reports"


@pytest.fixture
def reports(graded, tmp_path) -> Path:
    shutil.copytree(graded, tmp_path / "reports")
    return tmp_path / "reports"


def _add(reports: Path, name: str, password: str = PASSWORD) -> subprocess.CompletedProcess:
    return subprocess.run([*GRADE, "manual", "users", "add", name, "--reports", str(reports),
                           "--password-stdin"], input=password + "\n", capture_output=True,
                          text=True, cwd=ROOT, timeout=60)


def _token(page: str) -> str:
    return re.search(r'name="token" value="([^"]+)"', page).group(1)


def _score(reports: Path, student: str, item: str) -> float:
    results = json.loads((reports / student / "results.json").read_text())
    return next(t["score"] for t in results["tests"] if t["extra_data"]["item"] == item)


# ---------------------------------------------------------------- the decision

@pytest.mark.parametrize("host, loopback", [
    ("127.0.0.1", True), ("127.0.0.2", True), ("localhost", True), ("::1", True),
    ("[::1]", True), ("0.0.0.0", False), ("::", False), ("192.168.1.20", False),
    ("grading.example.edu", False)])
def test_anything_but_loopback_asks_for_accounts(host, loopback):
    from grader.manual.serve import is_loopback

    assert is_loopback(host) is loopback


# ---------------------------------------------------------------- accounts

def test_users_add_list_remove_and_passwords_are_scrypt_hashes(reports):
    from grader.manual.accounts import Accounts
    from grader.written.store import DB_NAME

    assert _add(reports, "Ann").returncode == 0
    short = _add(reports, "Ben", "short")
    assert short.returncode == 2 and "at least 10 characters" in short.stderr
    listed = subprocess.run([*GRADE, "manual", "users", "list", "--reports", str(reports)],
                            capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert listed.stdout.startswith("Ann\tcreated ") and "Ben" not in listed.stdout
    stored = (reports / DB_NAME).read_bytes()
    assert PASSWORD.encode() not in stored and b"scrypt:" in stored
    accounts = Accounts(reports / DB_NAME)
    assert accounts.check("Ann", PASSWORD) == "Ann" and accounts.check("Ann", "wrong") is None
    token = accounts.open_session("Ann")
    assert accounts.session(token).name == "Ann"
    gone = subprocess.run([*GRADE, "manual", "users", "remove", "Ann", "--reports",
                           str(reports)], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert gone.returncode == 0 and accounts.session(token) is None  # its sessions end too
    assert accounts.check("Ann", PASSWORD) is None


# ---------------------------------------------------------------- the app (in process)

def _client(reports: Path, rubric, tls: bool = False):
    from grader.manual.app import create_app

    app = create_app(reports, rubric, login=True, tls=tls)
    return app.test_client()


def _login(client, name: str = "Ann", password: str = PASSWORD, addr: str = "10.0.0.7"):
    page = client.get("/login").get_data(as_text=True)
    return client.post("/login", data={"token": _token(page), "ta": name, "password": password},
                       environ_base={"REMOTE_ADDR": addr})


def test_the_attack_a_visitor_reads_the_token_calls_themselves_a_ta_and_is_refused(
        reports, rubric):
    assert _add(reports, "Ann").returncode == 0
    client = _client(reports, rubric)
    first = client.get("/")
    assert first.status_code == 302 and first.headers["Location"].endswith("/login")
    token = _token(client.get("/login").get_data(as_text=True))
    called = client.post("/login", data={"token": token, "ta": "Mallory"})
    assert called.status_code == 401  # a name alone is no login
    client.set_cookie("ta", "Mallory")  # the loopback cookie means nothing here
    for path in ("/", "/item/p1b_explanation/bob", "/export.csv", "/item/p1b_explanation"):
        assert client.get(path).status_code == 302, path
    graded = client.post("/item/p1b_explanation/bob",
                         data={"token": token, "criterion": ["halves", "increase"]})
    assert graded.status_code == 401
    criteria = client.post("/item/p1b_explanation/criteria",
                           data={"token": token, "id": "halves", "text": "x", "points": "9"})
    assert criteria.status_code == 401
    from grader.written.store import DB_NAME, Store

    assert Store(reports / DB_NAME).grades() == []


def test_login_saves_as_the_account_and_logout_ends_the_session(reports, rubric):
    from grader.written.store import DB_NAME, Store

    assert _add(reports, "Ann").returncode == 0
    client = _client(reports, rubric)
    login_token = _token(client.get("/login").get_data(as_text=True))
    done = _login(client)
    assert done.status_code == 302
    cookie = done.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Secure" not in cookie
    page = client.get("/item/p1b_explanation/bob").get_data(as_text=True)
    assert "grading as <strong>Ann</strong>" in page
    token = _token(page)
    assert token != login_token  # the session's own: the login page's opens nothing
    client.set_cookie("ta", "Mallory")  # a typed name changes nothing
    stale = client.post("/item/p1b_explanation/bob",
                        data={"token": login_token, "criterion": ["halves"]})
    assert stale.status_code == 403
    saved = client.post("/item/p1b_explanation/bob",
                        data={"token": token, "criterion": ["halves"], "version": "0"})
    assert saved.status_code == 302
    store = Store(reports / DB_NAME)
    assert [g.grader for g in store.history("p1b_explanation", "bob")] == ["Ann"]
    assert _score(reports, "bob", "p1b_explanation") == 0.5
    assert client.post("/logout", data={"token": token}).status_code == 302
    assert client.get("/").status_code == 302  # the cookie's session is over
    again = client.post("/item/p1b_explanation/bob", data={"token": token})
    assert again.status_code == 401


def test_wrong_passwords_are_refused_and_rate_limited(reports, rubric):
    assert _add(reports, "Ann").returncode == 0
    client = _client(reports, rubric)
    for _ in range(5):
        wrong = _login(client, password="not the password")
        assert wrong.status_code == 401 and "Wrong name or password" in wrong.get_data(True)
    limited = _login(client)  # even the right password, for a while
    assert limited.status_code == 429 and 0 < int(limited.headers["Retry-After"]) <= 60
    elsewhere = _login(client, addr="10.0.0.8")  # the account is limited too
    assert elsewhere.status_code == 429
    nobody = _login(client, name="Nobody", password="x" * 12, addr="10.0.0.9")
    assert nobody.status_code == 401  # an unknown name: the same answer as a wrong password
    assert "Set-Cookie" not in limited.headers and "Set-Cookie" not in nobody.headers


def test_under_tls_the_cookie_is_secure(reports, rubric):
    assert _add(reports, "Ann").returncode == 0
    done = _login(_client(reports, rubric, tls=True))
    assert "Secure" in done.headers["Set-Cookie"] and "Strict-Transport-Security" in done.headers


def test_failed_attempts_are_forgotten_once_their_window_has_passed(monkeypatch):
    from grader.manual import accounts

    clock = [1000.0]
    monkeypatch.setattr(accounts.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(accounts.Attempts, "MAX_KEYS", 3)
    attempts = accounts.Attempts(limit=2, window=60)
    attempts.failed("name:a", "name:b")
    attempts.failed("name:a")
    assert attempts.wait("name:a") == 60 and attempts.wait("name:b") == 0
    clock[0] += 30
    assert attempts.wait("name:a") == 30
    for k in range(5):  # names sprayed at the login page
        attempts.failed(f"name:spray{k}")
    clock[0] += 61
    attempts.failed("name:c")
    assert len(attempts._failures) == 1 and attempts.wait("name:a") == 0


# ---------------------------------------------------------------- served for real

def _start(reports: Path, *args: str) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([*GRADE, "manual", str(reports), "--port", "0", *args], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    match = re.search(r"at (https?://\S+?)/ ", line)
    if match is None:
        proc.kill()
        pytest.fail(line + proc.stderr.read())
    return proc, match.group(1)


def _stop(proc: subprocess.Popen) -> str:
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        pytest.fail("the app did not stop on Ctrl-C")
    return proc.stderr.read()


def _opener(context: ssl.SSLContext | None = None) -> urllib.request.OpenerDirector:
    handlers = [urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())]
    if context is not None:
        handlers.append(urllib.request.HTTPSHandler(context=context))
    return urllib.request.build_opener(*handlers)


def _log_in_for_real(opener, url: str) -> str:
    page = opener.open(f"{url}/login", timeout=10).read().decode()
    data = urllib.parse.urlencode({"token": _token(page), "ta": "Ann", "password": PASSWORD})
    with opener.open(f"{url}/login", data=data.encode(), timeout=10) as response:
        return response.read().decode()


def test_served_by_cheroot_on_a_real_port(reports):
    assert _add(reports, "Ann").returncode == 0
    proc, url = _start(reports, "--login")
    try:
        opener = _opener()
        with opener.open(f"{url}/login", timeout=10) as response:
            server = response.headers.get("Server", "")
        assert "grade-manual" in server and "Werkzeug" not in server
        assert "grading as <strong>Ann</strong>" in _log_in_for_real(opener, url)
    finally:
        _stop(proc)


def _self_signed(folder: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .sign(key, hashes.SHA256()))
    certfile, keyfile = folder / "cert.pem", folder / "key.pem"
    certfile.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    keyfile.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                          serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    return certfile, keyfile


def test_tls_with_a_self_signed_certificate(reports, tmp_path):
    assert _add(reports, "Ann").returncode == 0
    certfile, keyfile = _self_signed(tmp_path)
    proc, url = _start(reports, "--login", "--certfile", str(certfile), "--keyfile",
                       str(keyfile))
    try:
        assert url.startswith("https://")
        context = ssl.create_default_context(cafile=str(certfile))
        opener = _opener(context)
        assert "grading as <strong>Ann</strong>" in _log_in_for_real(opener, url)
        jar = next(h.cookiejar for h in opener.handlers
                   if isinstance(h, urllib.request.HTTPCookieProcessor))
        assert [c.secure for c in jar] == [True]
        with pytest.raises(OSError):  # plain http finds no app there
            urllib.request.urlopen(url.replace("https://", "http://") + "/login", timeout=5)
    finally:
        stderr = _stop(proc)
    assert "WITHOUT TLS" not in stderr


# A visitor on the network, played in a network namespace of its own (only its loopback
# exists there, so binding 0.0.0.0 reaches no other machine): `/` no longer hands out the
# form token, and a grade posted with the login page's token is refused.
VISITOR = textwrap.dedent("""
    import json, re, subprocess, sys, urllib.error, urllib.parse, urllib.request
    grade, reports = json.loads(sys.argv[1]), sys.argv[2]
    def serve():
        return subprocess.Popen([*grade, "manual", reports, "--host", "0.0.0.0", "--port",
                                 "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
    out = {}
    refused = serve()
    out["no_accounts"] = [refused.wait(timeout=60), refused.stderr.read()]
    subprocess.run([*grade, "manual", "users", "add", "Ann", "--reports", reports,
                    "--password-stdin"], input="%s\\n", text=True, check=True)
    proc = serve()
    line = proc.stdout.readline()
    port = re.search(r":(\\d+)/ ", line).group(1)
    url = "http://127.0.0.1:" + port
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None
    opener = urllib.request.build_opener(NoRedirect)
    def status(path, data=None):
        try:
            with opener.open(url + path, data=data, timeout=10) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()
    out["root"] = status("/")[0]
    page = status("/login")[1]
    token = re.search(r'name="token" value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode({"token": token, "ta": "Mallory"}).encode()
    out["login_by_name"] = status("/login", form)[0]
    grade_form = urllib.parse.urlencode({"token": token, "criterion": "halves",
                                         "version": "0"}).encode()
    out["grade"] = status("/item/p1b_explanation/bob", grade_form)[0]
    proc.send_signal(2)
    proc.wait(timeout=15)
    out["stderr"] = proc.stderr.read()
    print(json.dumps(out))
""") % PASSWORD


def test_the_attack_on_the_network_against_the_real_command(reports, tmp_path):
    script = tmp_path / "visitor.py"
    script.write_text(VISITOR)
    proc = subprocess.run(["unshare", "--net", "sh", "-c",
                           'ip link set lo up && exec "$0" "$@"', sys.executable, str(script),
                           json.dumps(GRADE), str(reports)],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["no_accounts"][0] == 2 and "needs TA accounts" in out["no_accounts"][1]
    assert out["root"] == 302  # to the login page: no form token for a visitor
    assert out["login_by_name"] == 401 and out["grade"] == 401
    assert "WITHOUT TLS" in out["stderr"]  # and said loudly
    assert _score(reports, "bob", "p1b_explanation") == 0


@pytest.mark.parametrize("tls", [False, True], ids=["http", "https"])
def test_ctrl_c_ends_the_app_while_clients_hold_connections_open(reports, tmp_path, tls):
    """A browser tab left open, a half-sent request, a client that connected and said
    nothing: the TAs' Ctrl-C still ends the app within seconds (cheroot's own stop may
    wait without bound for a worker held by such a connection)."""
    import socket

    assert _add(reports, "Ann").returncode == 0
    args = ["--login"]
    if tls:
        certfile, keyfile = _self_signed(tmp_path)
        args += ["--certfile", str(certfile), "--keyfile", str(keyfile)]
    proc, url = _start(reports, *args)
    port = int(url.rsplit(":", 1)[1])
    held = []
    try:
        for sent in (b"", b"GET /login HTTP/1.1\r\nHost: 127.0.0.1\r\n", b"\x16\x03\x01"):
            conn = socket.create_connection(("127.0.0.1", port), timeout=5)
            conn.sendall(sent)
            held.append(conn)
        time.sleep(1)  # the server has taken them
        start = time.monotonic()
        _stop(proc)
        assert time.monotonic() - start < 10
    finally:
        for conn in held:
            conn.close()
        if proc.poll() is None:
            proc.kill()
