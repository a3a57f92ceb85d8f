"""Every page each demo role reaches: WCAG 2.1 A/AA by axe, the signed-in user in the header."""

import re

import pytest
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

from conftest import ACCOUNTS, PASSWORD, check_page, click_and_wait, sign_in, sign_out, submit_sign_in, wait

AGREEMENT = "/avtal/ostra-sodertorn"
FOLLOW_UP = f"{AGREEMENT}/uppfoljning?ar=2018&per=2019-03-31"
COMMON = ["/", "/tillganglighet", "/avtal", AGREEMENT]
PAGES = {
    "caseworker": ["/deltagare", "/deltagare/ny", "/import", FOLLOW_UP],
    "coordinator": ["/deltagare", FOLLOW_UP],
    "analyst": [FOLLOW_UP],
    "auditor": ["/granskning"],
    "admin": ["/konton"],
}


def slug(path):
    return re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "start"


def test_sign_in_page(driver, base_url):
    driver.get(base_url + "/logga-in")
    check_page(driver, "logga-in")


def test_wrong_password_shows_error(driver):
    submit_sign_in(driver, ACCOUNTS["caseworker"], "not-the-password")
    try:
        error = wait(driver, 5).until(EC.visibility_of_element_located((By.ID, "sign-in-error")))
    except TimeoutException:
        pytest.fail(f"no visible #sign-in-error on {driver.current_url} after a wrong password", pytrace=False)
    assert error.text.strip(), "#sign-in-error is empty"
    check_page(driver, "logga-in-fel")


def check_signed_in(driver, email, name):
    """check_page plus the header's #who; returns what failed, as text."""
    failures = []
    who = [w.text for w in driver.find_elements(By.ID, "who")]
    if not who or email not in who[0]:
        failures.append(f"[{name}] #who on {driver.current_url} does not show {email}: {who}")
    try:
        check_page(driver, name)
    except AssertionError as failure:
        failures.append(f"[{name}] {failure}")
    return failures


@pytest.mark.parametrize("role", list(PAGES))
def test_role_pages(driver, base_url, role):
    email = ACCOUNTS[role]
    sign_in(driver, email, PASSWORD)
    failures = []
    for path in COMMON + PAGES[role]:
        driver.get(base_url + path)
        failures.extend(check_signed_in(driver, email, f"{role}-{slug(path)}"))
    if role == "caseworker":
        driver.get(base_url + "/deltagare")
        click_and_wait(driver, driver.find_element(By.CSS_SELECTOR, "#participants a"))
        failures.extend(check_signed_in(driver, email, f"{role}-deltagare-forsta"))
    driver.get(base_url + "/")
    sign_out(driver)
    if failures:
        pytest.fail("\n\n".join(failures), pytrace=False)


DAILY = {
    "caseworker": ["/", "/deltagare", "FIRST_PARTICIPANT"],
    "coordinator": ["/", f"{AGREEMENT}/uppfoljning"],
    "auditor": ["/granskning"],
}


@pytest.mark.parametrize("role", list(DAILY))
def test_daily_pages_fit_about_three_screens(driver, base_url, role):
    """Issue 19: no page a role opens daily is longer than about three screens (of the test
    window's 1,000 px) before paging."""
    sign_in(driver, ACCOUNTS[role], PASSWORD)
    heights = {}
    for path in DAILY[role]:
        if path == "FIRST_PARTICIPANT":
            driver.get(base_url + "/deltagare")
            click_and_wait(driver, driver.find_element(By.CSS_SELECTOR, "#participants a"))
        else:
            driver.get(base_url + path)
        heights[driver.current_url.replace(base_url, "")] = driver.execute_script("return document.documentElement.scrollHeight")
    driver.get(base_url + "/")
    sign_out(driver)
    too_long = {path: h for path, h in heights.items() if h > 3.5 * 1000}
    assert not too_long, f"longer than about three screens: {too_long} (all: {heights})"
