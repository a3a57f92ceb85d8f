"""Issue 20, point 1: a CSV's header and its list of problems are bounded. A header has at most 64
columns and at most 65,536 bytes, and is refused with ONE problem on line 1 however it is built;
a refusal lists at most 10,000 problems in at most 1 MiB and then says so in `truncated`."""

import time

from conftest import Watch, problems, request

IMPORT = "/api/v1/imports/participants"
HEADER = "person_id;municipality;first_permit_date;registered_on;upper_secondary_completed"
BAD_ROW = "bad;0136;2016-03-01;2018-01-10;yes"


def post_csv(session, body, timeout=120):
    if isinstance(body, str):
        body = body.encode("utf-8")
    return request("POST", IMPORT, body, session.headers(**{"Content-Type": "text/csv"}), timeout=timeout)


def column_names(n):
    """a, b, …, z, aa, ab, …: n distinct names."""
    names = []
    i = 0
    while len(names) < n:
        name, k = "", i
        while True:
            name = chr(ord("a") + k % 26) + name
            k = k // 26 - 1
            if k < 0:
                break
        names.append(name)
        i += 1
    return names


def test_four_million_separators_are_one_problem(caseworker):
    body = b";" * 4_000_000 + b"\n" + BAD_ROW.encode() + b"\n"
    with Watch():
        answer = post_csv(caseworker, body, timeout=30)
        assert answer.status == 422, f"a header of 4,000,000 ';': {answer!r}"
        assert answer.seconds <= 5, f"a header of 4,000,000 ';' took {answer.seconds:.1f} s (at most 5 s)"
        assert len(answer.body) < 4096, f"the answer to one bad header is {len(answer.body)} bytes (under 4 KB): {answer.body[:300]!r}"
        listed = problems(answer)
        assert len(listed) == 1, f"{len(listed)} problems for one bad header (exactly 1): {listed[:3]}"
        assert listed[0].get("line") == 1, f"the header's problem is on line {listed[0].get('line')} (line 1): {listed[0]}"
        assert "64" in str(listed[0].get("reason", "")), f"the reason does not name the limit of 64 columns: {listed[0]}"


def test_sixty_five_columns_are_one_problem(caseworker):
    names = column_names(65)
    body = ";".join(names) + "\n" + ";".join("x" for _ in names) + "\n"
    with Watch():
        answer = post_csv(caseworker, body)
        assert answer.status == 422, f"a header of 65 columns: {answer!r}"
        listed = problems(answer)
        assert len(listed) == 1, f"{len(listed)} problems for a header of 65 columns (exactly 1): {listed[:3]}"


def test_a_header_line_over_64_kib_is_one_problem(caseworker):
    body = "person_id;" + "x" * 70_000 + "\n" + BAD_ROW + "\n"
    with Watch():
        answer = post_csv(caseworker, body)
        assert answer.status == 422, f"a header line of 70,010 bytes: {answer!r}"
        listed = problems(answer)
        assert len(listed) == 1, f"{len(listed)} problems for a header line over 65,536 bytes (exactly 1): {listed[:3]}"


def test_two_hundred_thousand_bad_rows_are_truncated(caseworker):
    body = (HEADER + "\n" + (BAD_ROW + "\n") * 200_000).encode()
    with Watch():
        start = time.monotonic()
        answer = post_csv(caseworker, body, timeout=120)
        seconds = time.monotonic() - start
        print(f"200,000 bad rows: {answer.status} in {seconds:.1f} s, {len(answer.body):,} bytes")
        assert answer.status == 422, f"200,000 bad rows: {answer!r}"
        assert len(answer.body) <= 1_200_000, f"the answer to 200,000 bad rows is {len(answer.body):,} bytes (at most 1,200,000)"
        document = answer.json()
        listed = problems(answer)
        assert len(listed) <= 10_001, f"{len(listed):,} problems listed (at most 10,001)"
        truncated = document.get("truncated")
        assert isinstance(truncated, dict), f"no top-level `truncated` object in the answer (keys: {sorted(document)})"
        assert truncated.get("maxProblems") == 10_000 and truncated.get("maxBytes") == 1_048_576, (
            f"`truncated` does not state the caps {{maxProblems: 10000, maxBytes: 1048576}}: {truncated}")


def test_three_bad_rows_are_not_truncated(caseworker):
    body = HEADER + "\n" + (BAD_ROW + "\n") * 3
    with Watch():
        answer = post_csv(caseworker, body)
        assert answer.status == 422, f"3 bad rows: {answer!r}"
        listed = problems(answer)
        assert len(listed) == 3, f"{len(listed)} problems for 3 bad rows (each listed): {listed}"
        assert "truncated" not in answer.json(), f"3 bad rows said `truncated`: {answer.body[:300]!r}"
