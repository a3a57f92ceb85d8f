"""Issue 20, point 3 and 7: a file near the 64 MiB limit is read as a stream. Sixty megabytes of
CSV through the API and through the import page keep the server under 300 MB resident, and a
60 MB field (one quoted cell) is refused without taking the server down."""

import urllib.parse

from conftest import Watch, problems, request
from test_multipart import form

HEADER = b"person_id;given_name;municipality;first_permit_date;registered_on;upper_secondary_completed\n"
SIXTY_MB = 60 * 1024 * 1024


def bad_rows(size):
    """`size` bytes of rows that are all refused (an identity number that is not one)."""
    row = b"bad;Namn;0136;2016-03-01;2018-01-10;yes\n"
    return HEADER + row * ((size - len(HEADER)) // len(row))


def test_sixty_megabytes_through_the_api(caseworker):
    with Watch():
        answer = request("POST", "/api/v1/imports/participants", bad_rows(SIXTY_MB),
                         caseworker.headers(**{"Content-Type": "text/csv"}), timeout=120)
        assert answer.status == 422, f"60 MB of bad rows: {answer!r}"
        assert len(answer.body) <= 1_200_000


def test_a_sixty_megabyte_field_through_the_api(caseworker):
    body = HEADER + b'199001012385;"' + b"x" * SIXTY_MB + b'";0136;2016-03-01;2018-01-10;yes\n'
    with Watch():
        answer = request("POST", "/api/v1/imports/participants", body,
                         caseworker.headers(**{"Content-Type": "text/csv"}), timeout=120)
        assert answer.status == 422, f"a 60 MB name: {answer!r}"
        assert len(answer.body) < 4096, f"the answer is {len(answer.body)} bytes"


def test_sixty_megabytes_through_the_import_page(caseworker):
    boundary = "samspar-" + "b" * 30
    body = form(boundary, bad_rows(SIXTY_MB))
    path = "/import?" + urllib.parse.urlencode({"_csrf": caseworker.csrf})
    headers = {"Cookie": f"samspar_session={caseworker.cookie}", "Content-Type": f"multipart/form-data; boundary={boundary}"}
    with Watch():
        answer = request("POST", path, body, headers, timeout=120)
        assert answer.status == 303, f"60 MB through the page: {answer!r}"
