"""Issue 20, point 2: the import page's multipart form (`POST /import?_csrf=TOKEN`, fields `kind` and
`file`). Who may send it and whether the CSRF token is right are decided from the head, before a
byte of the body is read; a boundary is 1 to 70 characters (RFC 2046); finding the parts takes
linear time whatever the boundary and the content."""

import concurrent.futures
import time
import urllib.parse

from conftest import Watch, host_port, request, send_head_only

THREE_MB = 3 * 1024 * 1024
CSV = (
    "person_id;municipality;first_permit_date;registered_on;upper_secondary_completed\n"
    "19900101-2385;0136;2016-03-01;2018-01-10;no\n")


def import_path(csrf):
    return "/import" if csrf is None else "/import?" + urllib.parse.urlencode({"_csrf": csrf})


def head(path, boundary, length, cookie=None):
    host, port = host_port()
    lines = [
        f"POST {path} HTTP/1.1", f"Host: {host}:{port}",
        f"Content-Type: multipart/form-data; boundary={boundary}", f"Content-Length: {length}"]
    if cookie:
        lines.append(f"Cookie: samspar_session={cookie}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def form(boundary, file_bytes, kind="participants"):
    b = boundary.encode("latin-1")
    return (
        b"--" + b + b"\r\n"
        b'Content-Disposition: form-data; name="kind"\r\n\r\n' + kind.encode() + b"\r\n"
        b"--" + b + b"\r\n"
        b'Content-Disposition: form-data; name="file"; filename="deltagare.csv"\r\n'
        b"Content-Type: text/csv\r\n\r\n" + file_bytes + b"\r\n"
        b"--" + b + b"--\r\n")


def post_form(session, boundary, body, csrf, content_type=None, timeout=60):
    headers = {
        "Cookie": f"samspar_session={session.cookie}",
        "Content-Type": content_type or f"multipart/form-data; boundary={boundary}"}
    return request("POST", import_path(csrf), body, headers, timeout=timeout)


def refused_before_the_body(early, status, who):
    assert early.status == status, f"{who}: expected {status} before the body was sent, got {early!r}"
    assert early.seconds <= 1.0, f"{who}: the {status} took {early.seconds:.2f} s (within 1 s)"


def test_an_analyst_is_refused_before_the_body(analyst):
    boundary = "b" * 10_000
    with Watch():
        early = send_head_only(head(import_path(analyst.csrf), boundary, THREE_MB, analyst.cookie), b"--" + b"b" * 100)
        refused_before_the_body(early, 403, "an analyst's 3 MB upload with a 10,000-character boundary")


def test_a_wrong_csrf_token_is_refused_before_the_body(caseworker):
    boundary = "b" * 10_000
    with Watch():
        early = send_head_only(head(import_path("not-the-token"), boundary, THREE_MB, caseworker.cookie), b"--" + b"b" * 100)
        refused_before_the_body(early, 403, "a caseworker's upload with a wrong _csrf")


def test_a_missing_csrf_token_is_refused_before_the_body(caseworker):
    boundary = "b" * 10_000
    with Watch():
        early = send_head_only(head(import_path(None), boundary, THREE_MB, caseworker.cookie), b"--" + b"b" * 100)
        refused_before_the_body(early, 403, "a caseworker's upload without _csrf")


def test_no_session_is_sent_to_sign_in_before_the_body():
    boundary = "b" * 10_000
    with Watch():
        early = send_head_only(head(import_path("whatever"), boundary, THREE_MB), b"--" + b"b" * 100)
        refused_before_the_body(early, 303, "an upload without a session")
        location = [line for line in early.data.split(b"\r\n") if line.lower().startswith(b"location:")]
        assert location and b"/logga-in" in location[0], f"the 303 does not lead to /logga-in: {early.data[:400]!r}"


def test_a_boundary_of_71_characters_is_a_bad_request(caseworker):
    boundary = "a" * 71
    with Watch():
        answer = post_form(caseworker, boundary, form(boundary, CSV.encode()), caseworker.csrf)
        assert answer.status == 400, f"a 71-character boundary (RFC 2046 allows 70): {answer!r}"


def test_an_empty_boundary_is_a_bad_request(caseworker):
    with Watch():
        answer = post_form(caseworker, "", form("", CSV.encode()), caseworker.csrf, content_type="multipart/form-data; boundary=")
        assert answer.status == 400, f"an empty boundary: {answer!r}"


def test_a_boundary_of_70_characters_is_accepted(caseworker):
    boundary = "a" * 70
    with Watch():
        answer = post_form(caseworker, boundary, form(boundary, CSV.encode()), caseworker.csrf)
        assert answer.status == 303, f"a 70-character boundary and a small participants file: {answer!r}"
        location = answer.headers.get("location", "")
        assert location.startswith("/import/"), f"the 303 does not lead to the import's job page /import/…: {location!r}"


def worst_case_body(boundary, size):
    """A form whose file is made of near-misses of the delimiter: CRLF, 69 dashes and a 'y' against
    a boundary of 69 dashes and an 'x' (so `--boundary` and `CRLF--boundary` both almost match at
    every dash: a naive search compares ~35 bytes per byte of body)."""
    run = b"\r\n" + b"-" * 69 + b"y"
    shell = form(boundary, b"")
    runs = (size - len(shell)) // len(run)
    body = form(boundary, run * runs)
    return body


def test_parsing_is_linear_in_the_worst_case(caseworker):
    boundary = "-" * 69 + "x"
    body = worst_case_body(boundary, THREE_MB)
    assert len(body) <= THREE_MB and len(body) > THREE_MB - 100

    def upload(_):
        start = time.monotonic()
        answer = post_form(caseworker, boundary, body, caseworker.csrf, timeout=120)
        return answer, time.monotonic() - start

    with Watch():
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            results = list(pool.map(upload, range(2)))
        for answer, seconds in results:
            print(f"worst-case 3 MB upload: {answer.status} in {seconds:.2f} s")
        for answer, seconds in results:
            assert answer.status < 500, f"a worst-case 3 MB upload: {answer!r}"
            assert seconds <= 3.0, f"a worst-case 3 MB upload (two at once) took {seconds:.2f} s (within 3 s): {answer!r}"
