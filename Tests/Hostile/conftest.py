"""Hostile-test fixtures and helpers (issue 20): scripts/hostile-tests.sh starts two `samspar serve`
on one demo database and sets the environment. Only the Python standard library is used.

Every test runs its attack inside a `Watch`: one thread samples the first server's resident
memory every 50 ms, another GETs /health every 200 ms; on exit the Watch asserts the server
stayed under MAX_RSS_MB and every /health answered 200 within MAX_HEALTH_SECONDS."""

import http.client
import json
import os
import select
import socket
import threading
import time
import urllib.parse
import uuid

import pytest

URL = os.environ.get("SAMSPAR_URL", "http://127.0.0.1:8080").rstrip("/")
URL2 = os.environ.get("SAMSPAR_URL2", "").rstrip("/")
METRICS_URL = os.environ.get("SAMSPAR_METRICS_URL", "")
PID = int(os.environ.get("SAMSPAR_PID", "0") or 0)
PASSWORD = "demo-samspar-2026"
ACCOUNTS = {
    "caseworker": "handlaggare@haninge.example",
    "coordinator": "samordnare@haninge.example",
    "analyst": "analytiker@haninge.example",
    "auditor": "granskare@haninge.example",
    "admin": "admin@haninge.example",
}
SESSION_COOKIE = "samspar_session"
MAX_RSS_MB = 300
MAX_HEALTH_SECONDS = 1.0
MiB = 1 << 20


def host_port(base=URL):
    parts = urllib.parse.urlsplit(base)
    return parts.hostname, parts.port or 80


# MARK: plain HTTP


class Answer:
    """One HTTP answer: status, headers (lower-case names; Set-Cookie kept as a list), body, seconds."""

    def __init__(self, status, headers, cookies, body, seconds):
        self.status, self.headers, self.cookies, self.body, self.seconds = status, headers, cookies, body, seconds

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return f"<{self.status} in {self.seconds:.2f} s, {len(self.body)} bytes: {self.body[:200]!r}>"


def request(method, path, body=None, headers=None, base=URL, timeout=60):
    """A request with http.client (no redirects followed, 4xx/5xx returned, not raised)."""
    host, port = host_port(base)
    if isinstance(body, str):
        body = body.encode("utf-8")
    start = time.monotonic()
    connection = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        try:
            connection.request(method, path, body=body, headers=dict(headers or {}))
            response = connection.getresponse()
            data = response.read()
        except socket.timeout:
            raise AssertionError(f"{method} {path}: no answer within {timeout} s") from None
        cookies = response.headers.get_all("Set-Cookie") or []
        return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, cookies, data, time.monotonic() - start)
    finally:
        connection.close()


def problems(answer):
    """The rows a refused import lists. SPEC §6 names the member `errors`; the issue's wording
    says `problems`: whichever the answer has (it must have one of them)."""
    document = answer.json()
    for key in ("errors", "problems"):
        if isinstance(document.get(key), list):
            return document[key]
    raise AssertionError(f"the 422 lists no `errors` (nor `problems`): {answer.body[:300]!r}")


# MARK: sessions


class Session:
    def __init__(self, email, cookie, csrf):
        self.email, self.cookie, self.csrf = email, cookie, csrf

    def headers(self, **extra):
        """Cookie and CSRF token for an API write. The cookie is Secure, so it is sent by hand."""
        headers = {"Cookie": f"{SESSION_COOKIE}={self.cookie}", "X-CSRF-Token": self.csrf}
        headers.update(extra)
        return headers

    @property
    def cookie_header(self):
        return f"Cookie: {SESSION_COOKIE}={self.cookie}\r\n"


def sign_in(email, password, xff=None, base=URL, timeout=90):
    """POST /api/v1/session → (status, value of the samspar_session cookie or None, csrfToken or None)."""
    headers = {"Content-Type": "application/json"}
    if xff:
        headers["X-Forwarded-For"] = xff
    answer = request("POST", "/api/v1/session", json.dumps({"email": email, "password": password}), headers, base=base, timeout=timeout)
    cookie = None
    for line in answer.cookies:
        name, _, rest = line.partition("=")
        if name.strip() == SESSION_COOKIE:
            cookie = rest.split(";", 1)[0]
    csrf = None
    if answer.status == 200:
        try:
            csrf = answer.json().get("csrfToken")
        except ValueError:
            pass
    return answer.status, cookie, csrf


def session_for(email, password=PASSWORD, xff=None, base=URL):
    status, cookie, csrf = sign_in(email, password, xff=xff, base=base)
    assert status == 200 and cookie and csrf, f"sign-in as {email} gave {status} (cookie {bool(cookie)}, csrfToken {bool(csrf)})"
    return Session(email, cookie, csrf)


@pytest.fixture(scope="session")
def caseworker():
    return session_for(ACCOUNTS["caseworker"])


@pytest.fixture(scope="session")
def analyst():
    return session_for(ACCOUNTS["analyst"])


@pytest.fixture(scope="session")
def admin():
    return session_for(ACCOUNTS["admin"])


NEW_PASSWORD = "hostile-password-2026"


def new_account(admin_session, label, role="caseworker"):
    """A fresh account made through the admin API, so a sign-in limit test locks out nobody else.
    Returns its e-mail; its password is NEW_PASSWORD."""
    email = f"hostile-{label}-{uuid.uuid4().hex[:10]}@haninge.example"
    answer = request(
        "POST", "/api/v1/users", json.dumps({"email": email, "role": role, "password": NEW_PASSWORD}),
        admin_session.headers(**{"Content-Type": "application/json"}))
    assert answer.status == 201, f"POST /api/v1/users for {email}: {answer!r}"
    return email


# MARK: raw sockets


def status_of(data):
    """The status code of the first response in `data`, or None when there is none."""
    if not data.startswith(b"HTTP/"):
        return None
    parts = data.split(b"\r\n", 1)[0].split(b" ")
    try:
        return int(parts[1])
    except (IndexError, ValueError):
        return None


def response_complete(data):
    """Whether `data` holds one whole response (head and, by Content-Length or chunking, body)."""
    head_end = data.find(b"\r\n\r\n")
    if head_end < 0:
        return False
    head = data[:head_end].decode("latin-1").lower().split("\r\n")
    body = data[head_end + 4:]
    for line in head[1:]:
        name, _, value = line.partition(":")
        if name.strip() == "content-length":
            try:
                return len(body) >= int(value.strip())
            except ValueError:
                return False
        if name.strip() == "transfer-encoding" and "chunked" in value:
            return body.endswith(b"0\r\n\r\n")
    status = status_of(data)
    return status is not None and (status in (204, 304) or 100 <= status < 200)


def exchange(request_bytes, timeout=5, base=URL, stop_at_response=True):
    """Opens a TCP connection, sends the bytes, and reads until the server closes, `timeout`
    seconds pass, or (stop_at_response) one whole response has arrived. Returns (bytes read,
    how it ended: "complete", "closed", "reset" or "timeout"). A reset by the server ends the
    reading; what came before it is kept."""
    sock = socket.create_connection(host_port(base), timeout=timeout)
    data, ended = b"", "timeout"
    deadline = time.monotonic() + timeout
    try:
        try:
            sock.sendall(request_bytes)
        except (BrokenPipeError, ConnectionResetError):
            pass
        while time.monotonic() < deadline:
            sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                chunk = sock.recv(65536)
            except socket.timeout:
                break
            except (ConnectionResetError, BrokenPipeError):
                ended = "reset"
                break
            if not chunk:
                ended = "closed"
                break
            data += chunk
            if stop_at_response and response_complete(data):
                ended = "complete"
                break
    finally:
        sock.close()
    return data, ended


def raw(request_bytes, timeout=5, base=URL, stop_at_response=True):
    """The bytes `exchange` read (possibly b"")."""
    return exchange(request_bytes, timeout=timeout, base=base, stop_at_response=stop_at_response)[0]


class Early:
    """What came back to a request whose body was not sent: status (None: nothing), seconds
    from the end of the head to the status line, the bytes, and whether the server closed."""

    def __init__(self, status, seconds, data, closed):
        self.status, self.seconds, self.data, self.closed = status, seconds, data, closed

    def __repr__(self):
        what = f"{self.status}" if self.status else ("the connection closed with no answer" if self.closed else "no answer")
        return f"<{what} after {self.seconds:.2f} s: {self.data[:160]!r}>"


def send_head_only(head, first=b"", wait=1.0, base=URL):
    """Sends a request head (declaring a body) and a few first bytes of the body, never the rest,
    then waits up to `wait` seconds for the status line."""
    sock = socket.create_connection(host_port(base), timeout=10)
    data, closed = b"", False
    try:
        sock.sendall(head + first)
        start = time.monotonic()
        deadline = start + wait
        while b"\r\n" not in data:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            sock.settimeout(left)
            try:
                chunk = sock.recv(65536)
            except socket.timeout:
                break
            except ConnectionResetError:
                closed = True
                break
            if not chunk:
                closed = True
                break
            data += chunk
        seconds = time.monotonic() - start
        # The rest of the answer, if it is on its way (it is not timed).
        if data and not closed:
            end = time.monotonic() + 0.5
            while not response_complete(data) and time.monotonic() < end:
                sock.settimeout(max(0.01, end - time.monotonic()))
                try:
                    chunk = sock.recv(65536)
                except (socket.timeout, ConnectionResetError):
                    break
                if not chunk:
                    break
                data += chunk
    finally:
        sock.close()
    return Early(status_of(data), seconds, data, closed)


def readable(sock):
    try:
        return bool(select.select([sock], [], [], 0)[0])
    except (OSError, ValueError):
        return False


# MARK: the watch


def rss_mb(pid):
    with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def probe_health(timeout=MAX_HEALTH_SECONDS, base=URL):
    """(seconds, status or None, error or None) of one GET /health on a new connection."""
    host, port = host_port(base)
    start = time.monotonic()
    connection = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        connection.request("GET", "/health")
        response = connection.getresponse()
        response.read()
        return time.monotonic() - start, response.status, None
    except Exception as error:  # a timeout, a refusal, a reset: all are the server not answering
        return time.monotonic() - start, None, f"{type(error).__name__}: {error}"
    finally:
        connection.close()


class Watch:
    """The server's memory and /health while the body of the `with` runs (see the module doc)."""

    runs = 0  # how many Watches the current test has run (checked by _every_test_is_watched)

    def __init__(self, name=None, pid=None, base=URL):
        self.name = name or os.environ.get("PYTEST_CURRENT_TEST", "?").rsplit(" ", 1)[0]
        self.pid = pid or PID
        self.base = base
        self.max_rss = 0.0
        self.rss_error = None
        self.probes = []  # (seconds, status, error)
        self._stop = threading.Event()

    def _sample_memory(self):
        while True:
            try:
                self.max_rss = max(self.max_rss, rss_mb(self.pid))
            except OSError as error:
                self.rss_error = f"cannot read /proc/{self.pid}/status (has the server died?): {error}"
                return
            if self._stop.wait(0.05):
                return

    def _probe(self):
        next_at = time.monotonic()
        while not self._stop.is_set():
            self.probes.append(probe_health(base=self.base))
            next_at += 0.2
            delay = next_at - time.monotonic()
            if delay < 0:
                next_at = time.monotonic()
            elif self._stop.wait(delay):
                return

    def __enter__(self):
        Watch.runs += 1
        assert self.pid, "SAMSPAR_PID is not set: the Watch needs the first server's pid"
        self._threads = [threading.Thread(target=self._sample_memory, daemon=True), threading.Thread(target=self._probe, daemon=True)]
        for thread in self._threads:
            thread.start()
        return self

    def verdict(self):
        """None when all held, else what did not."""
        slowest = max(self.probes, key=lambda p: p[0]) if self.probes else None
        bad = [p for p in self.probes if p[1] != 200 or p[0] > MAX_HEALTH_SECONDS]
        problems = []
        if self.rss_error:
            problems.append(self.rss_error)
        if self.max_rss >= MAX_RSS_MB:
            problems.append(f"max RSS {self.max_rss:.0f} MB (limit {MAX_RSS_MB} MB)")
        if bad:
            worst = max(bad, key=lambda p: p[0])
            what = f"status {worst[1]}" if worst[1] else worst[2]
            problems.append(
                f"{len(bad)} of {len(self.probes)} /health probes not 200 within {MAX_HEALTH_SECONDS} s "
                f"(worst: {worst[0]:.2f} s, {what})")
        if not problems:
            return None
        return "; ".join(problems) + f" [max RSS {self.max_rss:.0f} MB, slowest /health {slowest[0] if slowest else 0:.2f} s]"

    def __exit__(self, exc_type, exc, tb):
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)
        # One probe at the end, so that even a short attack is followed by a /health.
        self.probes.append(probe_health(base=self.base))
        slowest = max(p[0] for p in self.probes)
        print(f"\nwatch {self.name}: max RSS {self.max_rss:.0f} MB, slowest /health {slowest:.3f} s ({len(self.probes)} probes)")
        verdict = self.verdict()
        if verdict is None:
            return False
        if exc_type is None:
            raise AssertionError(f"the server suffered: {verdict}")
        if issubclass(exc_type, AssertionError):
            raise AssertionError(f"{exc}; and the server suffered: {verdict}") from exc
        return False


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    if call.when == "call":
        item.hostile_call_failed = outcome.get_result().failed


@pytest.fixture(autouse=True)
def _every_test_is_watched(request):
    Watch.runs = 0
    yield
    if not getattr(request.node, "hostile_call_failed", False):
        assert Watch.runs > 0, "this test ran no Watch (every hostile test must run its attack inside `with Watch():`)"
