"""Issue 20, point 5: the sign-in limits (README *Hardening*: 5 failures per account per 15 minutes,
20 per address) hold against parallel guessing, on one instance and across two on one database, and an
address's burst denies no one it did not try. Each test uses accounts made for it through the
admin API and X-Forwarded-For addresses of its own (the servers trust 127.0.0.1 as a proxy), so
it locks out no other test."""

import concurrent.futures

import pytest

from conftest import NEW_PASSWORD, URL, URL2, Watch, new_account, sign_in

WRONG = "not-the-password-2026"


def attempt(args):
    email, password, xff, base = args
    try:
        return sign_in(email, password, xff=xff, base=base, timeout=120)[0]
    except Exception as error:  # a reset or a timeout is an answer of its own
        return f"{type(error).__name__}"


def tally(statuses):
    counts = {}
    for s in statuses:
        counts[s] = counts.get(s, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: str(kv[0])))


def test_a_hundred_parallel_guesses_at_one_account(admin):
    email = new_account(admin, "parallel")
    jobs = [(email, WRONG, f"10.30.0.{n}", URL) for n in range(1, 101)]
    with Watch():
        with concurrent.futures.ThreadPoolExecutor(100) as pool:
            statuses = list(pool.map(attempt, jobs))
        counts = tally(statuses)
        print(f"100 parallel wrong passwords: {counts}")
        assert statuses.count(401) <= 5, f"{statuses.count(401)} of 100 parallel wrong passwords were checked (401; at most 5): {counts}"
        assert statuses.count(401) + statuses.count(429) == 100, f"every other answer must be 429: {counts}"


def test_two_instances_share_the_account_limit(admin):
    if not URL2:
        pytest.fail("SAMSPAR_URL2 is not set: scripts/hostile-tests.sh starts a second instance")
    email = new_account(admin, "two-instances")
    jobs = [(email, WRONG, f"10.31.0.{n}", URL) for n in range(1, 51)] + [(email, WRONG, f"10.31.1.{n}", URL2) for n in range(1, 51)]
    with Watch():
        with concurrent.futures.ThreadPoolExecutor(100) as pool:
            statuses = list(pool.map(attempt, jobs))
        counts = tally(statuses)
        print(f"50 + 50 parallel wrong passwords on two instances: {counts}")
        assert statuses.count(401) <= 5, f"{statuses.count(401)} of 100 wrong passwords on two instances were checked (401; at most 5): {counts}"
        assert statuses.count(401) + statuses.count(429) == 100, f"every other answer must be 429: {counts}"


def test_a_burst_from_one_address_denies_no_other_account(admin):
    """30 wrong passwords from 10.40.0.1, each for a different e-mail that does not exist (past the
    address's 20), then the right password of an account the burst never tried, from the same
    address: it gets in. One guesser behind an office's NAT must not lock out the colleagues
    behind it. (The account limit still holds: see the next test.)"""
    email = new_account(admin, "bystander")
    jobs = [(f"nobody{n}@example.se", WRONG, "10.40.0.1", URL) for n in range(1, 31)]
    with Watch():
        with concurrent.futures.ThreadPoolExecutor(10) as pool:
            burst = list(pool.map(attempt, jobs))
        status, cookie, csrf = sign_in(email, NEW_PASSWORD, xff="10.40.0.1")
        counts = tally(burst)
        print(f"the burst: {counts}; then the right password: {status}")
        assert burst.count(401) + burst.count(429) == 30, f"the burst's answers are 401 or 429: {counts}"
        assert status == 200 and cookie, f"after a burst of 30 wrong passwords for other e-mails, the right password from the same address got {status} (200)"


def test_the_account_limit_still_holds(admin):
    """The account limit still holds beside the test above: after 5 wrong passwords for an
    account, even its right password is refused (429) for the rest of the 15 minutes, here from
    another address than the wrong ones came from."""
    email = new_account(admin, "locked")
    with Watch():
        wrong = [sign_in(email, WRONG, xff="10.41.0.1")[0] for _ in range(5)]
        status, cookie, _ = sign_in(email, NEW_PASSWORD, xff="10.41.0.2")
        print(f"5 wrong passwords: {wrong}; then the right password: {status}")
        assert all(s in (401, 429) for s in wrong), f"5 wrong passwords: {wrong}"
        assert status == 429 and not cookie, f"after 5 wrong passwords, the account's right password got {status} (429)"
