"""Signing in the municipality's way (issue 25), in a real browser: at Haninge's identity
provider (oidc-provider-mock, a real OpenID Connect provider that scripts/browser-tests.sh
starts and sets as Haninge's), with a TOTP code, and setting up TOTP. Every page is run
through axe-core."""

import json
import os
import sys
import urllib.parse
import urllib.request

from selenium.webdriver.common.by import By

from conftest import PASSWORD, check_page, sign_in, sign_out, wait

sys.path.insert(0, os.environ.get("SAMSPAR_SCRIPTS", "scripts"))
import totp  # noqa: E402

ISSUER = os.environ.get("SAMSPAR_OIDC_ISSUER", "")
LOA3 = "http://id.elegnamnden.se/loa/1.0/loa3"
LOA2 = "http://id.elegnamnden.se/loa/1.0/loa2"


def set_person(sub, groups, acr=LOA3, email=None):
    """The person's claims at the provider (the mock's PUT /users/{sub})."""
    claims = {"groups": groups, "acr": acr, "https://id.oidc.se/claim/orgNumber": "2120000084"}
    if email:
        claims["email"] = email
    request = urllib.request.Request(
        f"{ISSUER}/users/{sub}", data=json.dumps(claims).encode(), method="PUT", headers={"Content-Type": "application/json"})
    assert urllib.request.urlopen(request, timeout=10).status == 204


def approve_at_provider(driver, sub):
    """The provider's own page: who signs in, then "Authorize"."""
    wait(driver).until(lambda d: d.current_url.startswith(ISSUER + "/oauth2/authorize"))
    field = driver.find_element(By.NAME, "sub")
    field.send_keys(sub)
    field.submit()


def start_at_haninge(driver, base_url):
    driver.get(base_url + "/logga-in")
    driver.find_element(By.LINK_TEXT, "Logga in via Haninge kommun").click()


def test_a_haninge_caseworker_signs_in_at_haninges_provider_and_works(driver, base_url):
    set_person("anna", ["samspar-handlaggare"], email="anna.andersson@haninge.example")
    driver.get(base_url + "/logga-in")
    check_page(driver, "sign-in-with-providers")
    start_at_haninge(driver, base_url)
    approve_at_provider(driver, "anna")
    # The callback's page sends the browser on to the start page.
    wait(driver).until(lambda d: d.current_url == base_url + "/")
    who = driver.find_element(By.ID, "who").text
    assert "anna.andersson@haninge.example" in who and "handläggare" in who, who
    assert not driver.find_elements(By.ID, "one-factor")
    driver.get(base_url + "/deltagare")
    assert "Du har inte behörighet" not in driver.page_source
    assert driver.find_elements(By.CSS_SELECTOR, "table tbody tr"), "the caseworker sees Haninge's participants"
    driver.get(base_url + "/konto/sessioner")
    assert "organisationens inloggningstjänst, två steg (acr " + LOA3 + ")" in driver.page_source
    check_page(driver, "own-sessions-provider")
    # Signing out goes on to the provider's sign-out.
    driver.find_element(By.ID, "sign-out").click()
    wait(driver).until(lambda d: d.current_url.startswith(ISSUER + "/oauth2/end_session"))


def test_one_factor_at_the_provider_sees_no_personal_data(driver, base_url):
    set_person("bo", ["samspar-handlaggare"], acr=LOA2)
    start_at_haninge(driver, base_url)
    approve_at_provider(driver, "bo")
    wait(driver).until(lambda d: d.current_url == base_url + "/")
    notice = driver.find_element(By.ID, "one-factor").text
    assert "bara ett steg" in notice and "handläggare" in notice, notice
    assert "analytiker" in driver.find_element(By.ID, "who").text
    check_page(driver, "home-one-factor")
    driver.get(base_url + "/deltagare")
    assert "Du har inte behörighet" in driver.page_source


def test_who_has_no_mapped_role_is_refused(driver, base_url):
    set_person("cecilia", ["alla-anstallda"])
    start_at_haninge(driver, base_url)
    approve_at_provider(driver, "cecilia")
    wait(driver).until(lambda d: "/logga-in/idp/212000-0084/callback" in d.current_url)
    assert "Din organisation har inte gett dig någon roll i Samspår." in driver.page_source
    check_page(driver, "provider-no-role")
    driver.get(base_url + "/deltagare")
    assert "/logga-in" in driver.current_url


def test_a_wrong_nonce_or_client_is_refused(driver, base_url):
    set_person("anna", ["samspar-handlaggare"])
    for name, value in (("nonce", "someone-elses"), ("client_id", "another-client")):
        start_at_haninge(driver, base_url)
        wait(driver).until(lambda d: d.current_url.startswith(ISSUER + "/oauth2/authorize"))
        parts = urllib.parse.urlsplit(driver.current_url)
        query = [(k, value if k == name else v) for k, v in urllib.parse.parse_qsl(parts.query)]
        driver.get(urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query))))
        approve_at_provider(driver, "anna")
        wait(driver).until(lambda d: "/callback" in d.current_url)
        assert "Inloggningen godtogs inte" in driver.page_source, name
        driver.get(base_url + "/deltagare")
        assert "/logga-in" in driver.current_url, name


def test_a_samspar_account_needs_its_code(driver, base_url):
    uri = os.environ["SAMSPAR_TOTP_URI"]
    driver.get(base_url + "/logga-in")
    for field, value in (("email", "totp@haninge.example"), ("password", "a browser test password")):
        driver.find_element(By.ID, field).send_keys(value)
    driver.find_element(By.ID, "sign-in").click()
    # The click returns before the answer's page is there: wait for the refusal.
    wait(driver).until(lambda d: d.find_elements(By.ID, "sign-in-error"))
    assert "Fel e-postadress, lösenord eller kod." in driver.find_element(By.ID, "sign-in-error").text
    assert driver.find_element(By.ID, "code").get_attribute("autocomplete") == "one-time-code"
    for field, value in (("email", "totp@haninge.example"), ("password", "a browser test password"), ("code", totp.fresh(uri))):
        element = driver.find_element(By.ID, field)
        element.clear()
        element.send_keys(value)
    driver.find_element(By.ID, "sign-in").click()
    wait(driver).until(lambda d: "/logga-in" not in d.current_url)
    driver.get(base_url + "/deltagare")
    assert "Du har inte behörighet" not in driver.page_source
    driver.get(base_url + "/konto/tvastegsverifiering")
    assert driver.find_element(By.ID, "second-factor-active")
    check_page(driver, "second-factor-active")


def test_a_new_account_sets_up_totp(driver, base_url, accounts):
    # The admin makes an account on the accounts page: it has no second factor yet.
    sign_in(driver, accounts["admin"], PASSWORD)
    driver.get(base_url + "/konton")
    form = driver.find_element(By.CSS_SELECTOR, "form[action='/konton/anvandare']")
    form.find_element(By.NAME, "email").send_keys("ny.kollega@haninge.example")
    form.find_element(By.NAME, "role").send_keys("handläggare")
    form.find_element(By.NAME, "password").send_keys("a long new password")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait(driver).until(lambda d: "Användaren är tillagd." in d.page_source)
    sign_out(driver)
    # In the demo database the account signs in without a code; it sets up TOTP itself.
    sign_in(driver, "ny.kollega@haninge.example", "a long new password")
    driver.get(base_url + "/konto/tvastegsverifiering")
    assert driver.find_element(By.CSS_SELECTOR, "figure.qr svg")
    check_page(driver, "second-factor-set-up")
    secret = driver.find_element(By.ID, "totp-secret").text.replace(" ", "")
    driver.find_element(By.ID, "code").send_keys(totp.code("otpauth://totp/x?secret=" + secret))
    driver.find_element(By.ID, "set-up-totp").click()
    wait(driver).until(lambda d: d.find_elements(By.ID, "recovery-codes"))
    codes = [e.text for e in driver.find_elements(By.CSS_SELECTOR, "#recovery-codes code")]
    assert len(codes) == 10, codes
    check_page(driver, "second-factor-done")
    sign_out(driver)
    # Now the password alone is not enough; a recovery code is.
    driver.find_element(By.ID, "email").send_keys("ny.kollega@haninge.example")
    driver.find_element(By.ID, "password").send_keys("a long new password")
    driver.find_element(By.ID, "sign-in").click()
    # The click returns before the answer's page is there: wait for it (CI saw the old page).
    wait(driver).until(lambda d: d.find_elements(By.ID, "sign-in-error"))
    for field, value in (("password", "a long new password"), ("code", codes[0])):
        element = driver.find_element(By.ID, field)
        element.clear()
        element.send_keys(value)
    driver.find_element(By.ID, "sign-in").click()
    wait(driver).until(lambda d: "/logga-in" not in d.current_url)
