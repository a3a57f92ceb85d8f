"""Issue 20, point 4: malformed HTTP, each on its own connection. The answer is a 400, or the
connection closes with no answer, never a 5xx and never silence on an open connection; a bad
chunk size, an overflowing one and a chunk without its CRLF get an explicit 400 (they gave 500)."""

import pytest

from conftest import Watch, exchange, host_port, probe_health, status_of


def post_head(session, *extra):
    host, port = host_port()
    lines = [
        "POST /api/v1/participants HTTP/1.1", f"Host: {host}:{port}", "Content-Type: application/json",
        f"Cookie: samspar_session={session.cookie}", f"X-CSRF-Token: {session.csrf}", *extra]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


CHUNKED = "Transfer-Encoding: chunked"
# name → (bytes given a caseworker session, whether an explicit 400 is required)
CASES = {
    "chunk size zz": (lambda s: post_head(s, CHUNKED) + b"zz\r\n{}\r\n0\r\n\r\n", True),
    "chunk size 2^80-1": (lambda s: post_head(s, CHUNKED) + b"ffffffffffffffffffff\r\n{}\r\n0\r\n\r\n", True),
    "chunk without its CRLF": (lambda s: post_head(s, CHUNKED) + b'7\r\n{"a":1}0\r\n\r\n', True),
    "Content-Length and chunked": (lambda s: post_head(s, "Content-Length: 2", CHUNKED) + b"2\r\n{}\r\n0\r\n\r\n", False),
    "two Content-Lengths": (lambda s: post_head(s, "Content-Length: 2", "Content-Length: 3") + b"{} ", False),
    "Content-Length -1": (lambda s: post_head(s, "Content-Length: -1") + b"{}", False),
    "header without a colon": (lambda s: post_head(s, "X-No-Colon here", "Content-Length: 2") + b"{}", False),
    "request line GARBAGE": (lambda s: b"GARBAGE\r\n\r\n", False),
    "NUL in a header value": (lambda s: post_head(s, "X-Nul: a\x00b", "Content-Length: 2") + b"{}", False),
}


@pytest.mark.parametrize("name", list(CASES))
def test_malformed_request(name, caseworker):
    build, explicit = CASES[name]
    with Watch():
        data, ended = exchange(build(caseworker), timeout=5)
        status = status_of(data)
        if explicit:
            assert status == 400, f"{name}: expected an explicit 400, got {data[:200]!r} ({ended})"
        elif data == b"":
            assert ended in ("closed", "reset"), f"{name}: no answer in 5 s and the connection still open"
        else:
            assert status == 400, f"{name}: expected a 400 or a closed connection, got {data[:200]!r}"


def test_health_after_the_malformed_requests(caseworker):
    with Watch():
        for name, (build, _) in CASES.items():
            data, _ = exchange(build(caseworker), timeout=5)
            status = status_of(data)
            assert status is None or status < 500, f"{name}: a server error {data[:200]!r}"
        seconds, status, error = probe_health()
        assert status == 200 and seconds <= 1.0, f"/health after every malformed request: {status or error} in {seconds:.2f} s"
