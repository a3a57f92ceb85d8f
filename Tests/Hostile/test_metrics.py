"""Issue 20, point 6: metrics are private. /metrics is not on the public port; `--metrics-port`
serves them on a port of their own (printed by `serve` on a line with `(metrics)`)."""

import urllib.parse

import pytest

from conftest import METRICS_URL, Watch, request


def test_no_metrics_on_the_public_port():
    with Watch():
        answer = request("GET", "/metrics")
        assert answer.status == 404, f"GET /metrics on the public port: {answer.status} (404) {answer.body[:120]!r}"


def test_metrics_on_their_own_port():
    with Watch():
        if not METRICS_URL:
            pytest.fail("serve printed no `(metrics)` line with the metrics URL (SAMSPAR_METRICS_URL is empty)")
        parts = urllib.parse.urlsplit(METRICS_URL)
        answer = request("GET", parts.path or "/metrics", base=f"{parts.scheme}://{parts.netloc}")
        assert answer.status == 200, f"GET {METRICS_URL}: {answer!r}"
        assert b"hb_requests" in answer.body, f"GET {METRICS_URL} has no hb_requests: {answer.body[:300]!r}"
