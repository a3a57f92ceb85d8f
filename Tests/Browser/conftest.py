"""Browser-test fixtures and helpers; scripts/browser-tests.sh sets the environment."""

import base64
import os
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

BASE_URL = os.environ.get("SAMSPAR_URL", "http://127.0.0.1:8080").rstrip("/")
AXE = Path(os.environ.get("SAMSPAR_AXE", ".build/browser/axe.min.js"))
SHOTS = Path(os.environ.get("SAMSPAR_SCREENSHOTS", "screenshots/browser"))
PASSWORD = "demo-samspar-2026"
ACCOUNTS = {
    "caseworker": "handlaggare@haninge.example",
    "coordinator": "samordnare@haninge.example",
    "analyst": "analytiker@haninge.example",
    "auditor": "granskare@haninge.example",
    "admin": "admin@haninge.example",
}
WIDTH, HEIGHT = 1280, 1000
RUN_AXE = """
const done = arguments[arguments.length - 1];
axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})
  .then(r => done({violations: r.violations}), e => done({error: String(e)}));
"""


@pytest.fixture(scope="session")
def driver():
    os.environ.setdefault("SE_OFFLINE", "true")
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", f"--window-size={WIDTH},{HEIGHT}", "--lang=sv-SE"):
        options.add_argument(arg)
    # Swedish first: the browser asks for Swedish, as a Swedish coordinator's does.
    options.add_experimental_option("prefs", {"intl.accept_languages": "sv-SE,sv"})
    browser = webdriver.Chrome(options=options, service=Service(executable_path="/usr/bin/chromedriver"))
    browser.set_script_timeout(60)
    browser.set_page_load_timeout(30)
    yield browser
    browser.quit()


@pytest.fixture(autouse=True)
def _fresh_session(driver):
    """Each test starts signed out, even if the one before failed half-way."""
    yield
    driver.delete_all_cookies()


@pytest.fixture
def base_url():
    return BASE_URL


@pytest.fixture
def accounts():
    """Role → e-mail of the demo accounts; all have the password PASSWORD."""
    return dict(ACCOUNTS)


def wait(driver, seconds=15):
    return WebDriverWait(driver, seconds)


def submit_sign_in(driver, email, password):
    driver.get(BASE_URL + "/logga-in")
    for field, value in (("email", email), ("password", password)):
        element = driver.find_element(By.ID, field)
        element.clear()
        element.send_keys(value)
    driver.find_element(By.ID, "sign-in").click()


def sign_in(driver, email, password):
    submit_sign_in(driver, email, password)
    try:
        wait(driver).until(lambda d: "/logga-in" not in d.current_url)
    except Exception as error:
        errors = [e.text for e in driver.find_elements(By.ID, "sign-in-error")]
        raise AssertionError(f"sign-in as {email} stayed on {driver.current_url}; error shown: {errors}") from error


def sign_out(driver):
    """Press "Logga ut" on a page that has finished loading, as a person would. Chromium now
    and then loses the node right after a full-page screenshot ("Node with given id does not
    belong to the document"): find it again once. CI once saw a click on the button of a page
    still loading (a form's answer) lead nowhere within 15 s; the wait for the whole page is
    the remedy, and a failure now says where the browser stayed."""
    from selenium.common.exceptions import StaleElementReferenceException, TimeoutException, WebDriverException

    wait(driver).until(lambda d: d.execute_script("return document.readyState") == "complete")
    for attempt in range(2):
        try:
            button = driver.find_element(By.ID, "sign-out")
            button.click()
            break
        except (StaleElementReferenceException, WebDriverException):
            if attempt == 1:
                raise
    try:
        wait(driver).until(lambda d: "/logga-in" in d.current_url)
    except TimeoutException as error:
        state = driver.execute_script("return document.readyState")
        raise AssertionError(f"signing out stayed on {driver.current_url} ({driver.title!r}, {state})") from error


def sign_out_from(driver, base_url):
    """Sign out from a page without the site's header (the agreement document)."""
    driver.get(base_url + "/")
    sign_out(driver)


def screenshot(driver, path):
    """The whole page, down to 10,000 px, through Chromium's DevTools."""
    width, height = driver.execute_script(
        "const e = document.documentElement; return [e.scrollWidth, e.scrollHeight]")
    clip = {"x": 0, "y": 0, "width": width, "height": min(height, 10_000), "scale": 1}
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": clip})
    path.write_bytes(base64.b64decode(shot["data"]))


def describe(violations, url):
    lines = [f"{len(violations)} axe violation(s) on {url}:"]
    for v in violations:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']} <{v['helpUrl']}>")
        for node in v["nodes"][:3]:
            target = " | ".join(t if isinstance(t, str) else " >>> ".join(t) for t in node["target"])
            lines.append(f"    {target}: {node['html'][:300]}")
        if len(v["nodes"]) > 3:
            lines.append(f"    … and {len(v['nodes']) - 3} more")
    return "\n".join(lines)


def check_page(driver, name):
    """Screenshot the current page as SHOTS/<name>.png and assert axe finds no WCAG 2.1 A/AA violation."""
    wait(driver).until(lambda d: d.execute_script("return document.readyState") == "complete")
    SHOTS.mkdir(parents=True, exist_ok=True)
    screenshot(driver, SHOTS / f"{name}.png")
    driver.execute_script(AXE.read_text(encoding="utf-8"))
    result = driver.execute_async_script(RUN_AXE)
    if "error" in result:
        raise AssertionError(f"axe failed on {driver.current_url}: {result['error']}")
    if result["violations"]:
        raise AssertionError(describe(result["violations"], driver.current_url))


def click_and_wait(driver, element):
    """Click and wait for the next document. The old page is marked by script rather than
    watched for staleness: while chromium swaps documents it may answer a question about the
    old node with "Node with given id does not belong to the document" instead of "stale"."""
    driver.execute_script("window.__samsparOldPage = true")
    element.click()

    def next_page(d):
        return d.execute_script("return !window.__samsparOldPage && document.readyState === 'complete'")

    WebDriverWait(driver, 15, ignored_exceptions=(WebDriverException,)).until(next_page)


def download(driver, base_url, path):
    """GET `path` with the browser's session cookie (a download selenium cannot read back)."""
    import urllib.request

    cookie = driver.get_cookie("samspar_session")
    request = urllib.request.Request(base_url + path, headers={"Cookie": f"samspar_session={cookie['value']}"})
    with urllib.request.urlopen(request) as response:
        return response.headers.get("Content-Type"), response.read()


def pdf_text(data):
    """The words of a PDF, read back with Debian's pdftotext (poppler-utils)."""
    import subprocess

    result = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True)
    return " ".join(result.stdout.decode("utf-8").replace("\u00a0", " ").split())
