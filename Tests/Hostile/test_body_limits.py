"""Issue 20, point 3: a body over the route's limit is refused with 413 from its declared
Content-Length, before any of it is read (no body is sent here, so a server that waits for it
does not answer within the second), and a chunked body is cut off as soon as it passes the limit."""

import socket
import time
import urllib.parse

from conftest import MiB, Watch, host_port, readable, send_head_only, status_of


def head(method, path, content_type, length, session=None, api=True):
    host, port = host_port()
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}", f"Content-Type: {content_type}", f"Content-Length: {length}"]
    if session:
        lines.append(f"Cookie: samspar_session={session.cookie}")
        if api:
            lines.append(f"X-CSRF-Token: {session.csrf}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def too_large(early, what):
    assert early.status == 413, f"{what}: expected 413 from the Content-Length alone, got {early!r}"
    assert early.seconds <= 1.0, f"{what}: the 413 took {early.seconds:.2f} s (within 1 s)"


def test_api_json_over_one_mib(caseworker):
    with Watch():
        early = send_head_only(head("POST", "/api/v1/participants", "application/json", MiB + 1, caseworker))
        too_large(early, "POST /api/v1/participants with Content-Length 1 MiB + 1")


def test_page_form_over_one_mib(caseworker):
    path = "/deltagare/ny?" + urllib.parse.urlencode({"_csrf": caseworker.csrf})
    with Watch():
        early = send_head_only(head("POST", path, "application/x-www-form-urlencoded", MiB + 1, caseworker, api=False))
        too_large(early, "POST /deltagare/ny with Content-Length 1 MiB + 1")


def test_api_import_over_64_mib(caseworker):
    with Watch():
        early = send_head_only(head("POST", "/api/v1/imports/participants", "text/csv", 64 * MiB + 1, caseworker))
        too_large(early, "POST /api/v1/imports/participants with Content-Length 64 MiB + 1")


def test_page_import_over_64_mib(caseworker):
    path = "/import?" + urllib.parse.urlencode({"_csrf": caseworker.csrf})
    boundary = "a" * 40
    with Watch():
        early = send_head_only(
            head("POST", path, f"multipart/form-data; boundary={boundary}", 64 * MiB + 1, caseworker, api=False), b"--" + b"a" * 40)
        too_large(early, "POST /import with Content-Length 64 MiB + 1")


def test_chunked_json_over_one_mib(caseworker):
    """64 KiB chunks up to 2 MiB. The server may answer 413 and close while the chunks are still
    coming: the answer is read between chunks, and a reset after it is fine."""
    host, port = host_port()
    head_bytes = (
        f"POST /api/v1/participants HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
        f"Transfer-Encoding: chunked\r\nCookie: samspar_session={caseworker.cookie}\r\nX-CSRF-Token: {caseworker.csrf}\r\n\r\n"
    ).encode()
    chunk = 64 * 1024
    data, sent, events = b"", 0, []
    with Watch():
        sock = socket.create_connection((host, port), timeout=10)
        try:
            sock.sendall(head_bytes)
            payload = b'{"personId":"' + b"a" * (chunk - len(b'{"personId":"'))
            while sent < 2 * MiB:
                try:
                    sock.sendall(b"%x\r\n" % len(payload) + payload + b"\r\n")
                    sent += len(payload)
                except (BrokenPipeError, ConnectionResetError, socket.timeout) as error:
                    events.append(f"send stopped after {sent:,} bytes: {type(error).__name__}")
                    break
                payload = b"a" * chunk
                while readable(sock):
                    try:
                        got = sock.recv(65536)
                    except ConnectionResetError:
                        events.append("reset while reading")
                        got = b""
                    if not got:
                        break
                    data += got
                if status_of(data):
                    break
            if not status_of(data) and sent >= 2 * MiB:
                try:
                    sock.sendall(b'3\r\n"}\n\r\n0\r\n\r\n')
                except (BrokenPipeError, ConnectionResetError, socket.timeout):
                    pass
            deadline = time.monotonic() + 5
            while b"\r\n" not in data and time.monotonic() < deadline:
                sock.settimeout(max(0.01, deadline - time.monotonic()))
                try:
                    got = sock.recv(65536)
                except (socket.timeout, ConnectionResetError) as error:
                    events.append(f"{type(error).__name__} while waiting for the answer")
                    break
                if not got:
                    break
                data += got
        finally:
            sock.close()
        assert status_of(data) == 413, (
            f"a chunked JSON body growing to 2 MiB ({sent:,} bytes sent): expected 413, got {data[:200]!r} {events}")
