"""Issue 20, point 7: what held must keep holding. Deep and wide JSON, bad bytes in JSON, a megabyte
of headers, 200 slowloris connections and path traversal are refused or shrugged off, never a 5xx,
and /health answers throughout (the Watch)."""

import json
import socket
import time

import pytest

from conftest import MiB, Watch, exchange, host_port, probe_health, request, status_of


def post_json(session, body):
    return request("POST", "/api/v1/participants", body, session.headers(**{"Content-Type": "application/json"}), timeout=60)


def test_json_nested_half_a_million_deep(caseworker):
    with Watch():
        answer = post_json(caseworker, b"[" * 500_000)
        assert 400 <= answer.status < 500, f"JSON 500,000 '[' deep: {answer!r}"


def test_json_object_a_mebibyte_wide(caseworker):
    members, size, n = [], 2, 0
    while True:
        member = f'"k{n:07d}":0'
        if size + len(member) + 1 >= MiB - 16:
            break
        members.append(member)
        size += len(member) + 1
        n += 1
    body = ("{" + ",".join(members) + "}").encode()
    assert len(body) < MiB
    with Watch():
        answer = post_json(caseworker, body)
        assert 400 <= answer.status < 500, f"a JSON object of {n:,} keys ({len(body):,} bytes): {answer!r}"


@pytest.mark.parametrize("name,body", [
    pytest.param("invalid UTF-8", b'{"personId":"\xff\xfe\xc3(","municipality":"0136"}', id="invalid-utf8"),
    pytest.param("a NUL byte", b'{"personId":"1990\x000101-2385","municipality":"0136"}', id="nul-byte"),
])
def test_bad_bytes_in_a_json_string(name, body, caseworker):
    with Watch():
        answer = post_json(caseworker, body)
        assert 400 <= answer.status < 500, f"{name} in a JSON string: {answer!r}"


def test_a_mebibyte_of_headers(caseworker):
    host, port = host_port()
    pad = "".join(f"X-Pad-{i:04d}: {'a' * 1000}\r\n" for i in range(1040))
    head = (
        f"GET /api/v1/participants HTTP/1.1\r\nHost: {host}:{port}\r\nCookie: samspar_session={caseworker.cookie}\r\n{pad}\r\n"
    ).encode()
    assert len(head) >= MiB
    with Watch():
        data, ended = exchange(head, timeout=10)
        seconds, status, error = probe_health()
        answered = status_of(data)
        assert answered is None or 400 <= answered < 500, f"1 MiB of request headers: {data[:200]!r} ({ended})"
        assert answered is not None or ended in ("closed", "reset"), f"1 MiB of request headers: no answer in 10 s, connection still open"
        assert status == 200 and seconds <= 1.0, f"/health after 1 MiB of headers: {status or error} in {seconds:.2f} s"


def test_two_hundred_slowloris_connections():
    host, port = host_port()
    partial = f"GET /health HTTP/1.1\r\nHost: {host}:{port}\r\nX-Slow: ".encode() + b"a" * 64
    sockets, refused = [], 0
    with Watch() as watch:
        for _ in range(200):
            try:
                sockets.append(socket.create_connection((host, port), timeout=2))
            except OSError:
                refused += 1
        start = time.monotonic()
        sent_rounds, dropped = 0, set()
        for second in range(10):
            for i, sock in enumerate(sockets):
                if i in dropped:
                    continue
                try:
                    sock.send(partial[second:second + 1])
                except OSError:
                    dropped.add(i)
            sent_rounds += 1
            time.sleep(max(0.0, start + second + 1 - time.monotonic()))
        for sock in sockets:
            sock.close()
        print(f"slowloris: {len(sockets)} connections ({refused} refused), {len(dropped)} dropped by the server, {sent_rounds} rounds")
        # The Watch's /health probes (every 200 ms, each within 1 s) are the assertion; and they ran.
        assert len(watch.probes) >= 30, f"only {len(watch.probes)} /health probes in 10 s of slowloris"


@pytest.mark.parametrize("path", [
    "/static/../../etc/passwd",
    "/static/%2e%2e/%2e%2e/etc/passwd",
    "/api/v1/participants/..%2f..%2fetc%2fpasswd",
])
def test_path_traversal(path, caseworker):
    host, port = host_port()
    with Watch():
        data, _ = exchange(
            f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nCookie: samspar_session={caseworker.cookie}\r\nConnection: close\r\n\r\n".encode(),
            timeout=5)
        status = status_of(data)
        assert status is None or status < 500, f"GET {path}: {data[:200]!r}"
        assert not (status == 200 and b"root:" in data), f"GET {path} served /etc/passwd"
