"""The agreement's life in the browser (issue 9, "Done when"): a coordinator drafts a new
agreement section by section until nothing blocks signing, every party's coordinator signs it,
the document shows all five signatures, a revision becomes version 2 beside the signed version
1, and an analyst cannot open the editor. axe runs on the pages reached."""

import re

from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from conftest import PASSWORD, check_page, click_and_wait, download, pdf_text, sign_in, sign_out, sign_out_from, wait

ID = "ostra-sodertorn-2"
AGREEMENT = f"/avtal/{ID}"
EDITOR = f"{AGREEMENT}/redigera"
# Track codes the demo agreement ostra-sodertorn does not use: once this agreement is signed,
# Haninge is a party to both, and a bare code in both ("vard") would make test_flow's event
# import ambiguous ("exists in several agreements").

HANINGE, AF, FSF, NYNASHAMN, TYRESO = "212000-0084", "202100-2114", "222000-2162", "212000-0233", "212000-0092"
# Party → (name in the agreement, its coordinator's account, signatory, title). Haninge comes
# last in the party form: it is already a party (the drafter's own organisation), so adding it
# again only sets its signatory.
PARTIES = {
    AF: ("Arbetsförmedlingen Östra Södertörn", "samordnare@af.example", "Pia Erneborg", "Biträdande enhetschef"),
    FSF: ("", "samordnare@sodertorn-fsf.example", "Johan Svensk", "Styrelseordförande"),
    NYNASHAMN: ("", "samordnare@nynashamn.example", "Patrik Isestad", "Kommunstyrelseordförande"),
    TYRESO: ("", "samordnare@tyreso.example", "Fredrik Saweståhl", "Kommunstyrelseordförande"),
    HANINGE: ("", "samordnare@haninge.example", "Meeri Wasberg", "Kommunstyrelseordförande"),
}


def text(element):
    """An element's text with every run of whitespace (no-break spaces too) as one space."""
    return " ".join(element.text.replace("\u00a0", " ").split())


def by_id(driver, element_id):
    return driver.find_element(By.ID, element_id)


def fill(driver, part, field, value):
    """Type `value` into the field `<part>-<field>` (input or textarea); dates are set the way a
    date picker would, since chromium's date input wants its own locale's keystrokes."""
    element = by_id(driver, f"{part}-{field}")
    if element.get_attribute("type") == "date":
        driver.execute_script("arguments[0].value = arguments[1]", element, value)
        assert element.get_attribute("value") == value, f"{part}-{field} did not take {value}"
        return
    element.clear()
    if value:
        element.send_keys(value)


def select(driver, part, field, value):
    Select(by_id(driver, f"{part}-{field}")).select_by_value(value)


def submit(driver, part, saved=True):
    """Press the form's button and wait for the next page; `saved`: the editor's redirect after a save."""
    click_and_wait(driver, driver.find_element(By.CSS_SELECTOR, f"#form-{part} button[type=submit]"))
    if saved:
        summaries = [text(e) for e in driver.find_elements(By.CSS_SELECTOR, ".error-summary[role=alert], p.error")]
        assert f"sparat={part}" in driver.current_url, f"saving {part} stayed on {driver.current_url}: {summaries}"


def missing(driver):
    return [text(li) for li in driver.find_elements(By.CSS_SELECTOR, "ul#missing li")]


def signature_rows(driver):
    """Party name → the row's text, from the agreement page's #signatures table."""
    rows = driver.find_elements(By.CSS_SELECTOR, "#signatures tbody tr")
    return {text(r.find_element(By.TAG_NAME, "th")): text(r) for r in rows}


def sign(driver, place):
    """Sign on the agreement's page, which is open."""
    form = wait(driver).until(lambda d: d.find_element(By.ID, "form-underteckna"))
    assert form.is_displayed()
    fill(driver, "underteckna", "place", place)
    # The server's today (Swedish time), which may differ from this machine's near midnight.
    day = by_id(driver, "underteckna-date").get_attribute("value")
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", day), f"the sign form's date is not today's ISO date: {day!r}"
    submit(driver, "underteckna", saved=False)
    errors = [text(e) for e in driver.find_elements(By.CSS_SELECTOR, ".error-summary, p.error")]
    assert "undertecknad=1" in driver.current_url, f"signing stayed on {driver.current_url}: {errors}"
    assert not driver.find_elements(By.ID, "form-underteckna"), "the sign form is still there after signing"
    return day


def enter_track(driver, code, name, kind, ssyk, responsible, sex="", share=""):
    fill(driver, "spar", "code", code)
    fill(driver, "spar", "name", name)
    select(driver, "spar", "kind", kind)
    fill(driver, "spar", "ssyk", ssyk)
    select(driver, "spar", "responsible", responsible)
    select(driver, "spar", "genderSex", sex)
    fill(driver, "spar", "genderShare", share)


def add_track(driver, *fields):
    enter_track(driver, *fields)
    submit(driver, "spar")


def add_cost(driver, track, org, year, amount, source):
    select(driver, "kostnad", "track", track)
    select(driver, "kostnad", "org", org)
    fill(driver, "kostnad", "year", year)
    fill(driver, "kostnad", "amount", amount)
    select(driver, "kostnad", "source", source)
    submit(driver, "kostnad")


def test_agreement_life_draft_sign_document_revise(driver, base_url):
    # 1. A new, empty draft from the list of agreements.
    sign_in(driver, PARTIES[HANINGE][1], PASSWORD)
    driver.get(base_url + "/avtal")
    click_and_wait(driver, driver.find_element(By.LINK_TEXT, "Nytt utkast till överenskommelse"))
    assert driver.current_url.split("?")[0].endswith("/avtal/nytt"), driver.current_url
    fill(driver, "nytt", "id", ID)
    assert by_id(driver, "nytt-title").get_attribute("value").startswith("Överenskommelse om fördjupad samverkan")
    fill(driver, "nytt", "area", "Östra Södertörn")
    fill(driver, "nytt", "validFrom", "2018-01-01")
    assert Select(by_id(driver, "nytt-fran")).first_selected_option.text == "Tomt utkast"
    submit(driver, "nytt", saved=False)
    assert driver.current_url.split("?")[0] == base_url + EDITOR, driver.current_url

    # 2. The editor says what blocks signing.
    shown = missing(driver)
    assert any("Minst tre lokala spår behövs" in m for m in shown), shown
    assert any("av den lokala modellen är tom" in m for m in shown), shown
    assert any("saknar en skriftlig bedömning" in m for m in shown), shown
    assert any("Haninge kommun saknar undertecknare" in m for m in shown), shown
    assert not driver.find_elements(By.ID, "complete")
    check_page(driver, "agreement-edit-empty")

    # 3. Section by section.
    fill(driver, "grund", "purpose", "Att nyanlända kvinnor och män snabbare ska etablera sig på arbetsmarknaden genom lokala spår.")
    fill(driver, "grund", "nextRevision", "2018-11-30")
    for field, value in (("recruitment", "50"), ("acceptance", "60"), ("completion", "70"), ("outcome", "50")):
        fill(driver, "grund", field, value)
    submit(driver, "grund")
    assert by_id(driver, "grund-nextRevision").get_attribute("value") == "2018-11-30"
    assert by_id(driver, "grund-acceptance").get_attribute("value") == "60"
    assert not any("Syftet" in m for m in missing(driver))

    for org, (party_name, _, signatory, title) in PARTIES.items():
        select(driver, "part", "org", org)
        fill(driver, "part", "partyName", party_name)
        fill(driver, "part", "signatory", signatory)
        fill(driver, "part", "signatoryTitle", title)
        submit(driver, "part")
    parties = {text(r.find_elements(By.TAG_NAME, "td")[0]): text(r) for r in driver.find_elements(By.CSS_SELECTOR, "#edit-parties tbody tr")}
    assert set(parties) == set(PARTIES), parties
    assert "Arbetsförmedlingen Östra Södertörn" in parties[AF]
    assert "Meeri Wasberg, Kommunstyrelseordförande" in parties[HANINGE], parties[HANINGE]
    assert not any("saknar undertecknare" in m for m in missing(driver)), missing(driver)

    model = {
        "skillsNeed": "Vård och omsorg samt barnskötsel har stora rekryteringsbehov i området.",
        "targetGroup": "Många nyanlända har erfarenhet av vård; en stor del saknar gymnasieutbildning.",
        "organisation": "En styrgrupp med en företrädare för varje part och en gemensam samordnare.",
        "tracks": "Tre spår: vård, barnskötsel och ett utbildningsspår för unga.",
        "youth": "Unga utan gymnasieutbildning erbjuds vägledning och plats i kommunal vuxenutbildning.",
    }
    for field, value in model.items():
        fill(driver, "modell", field, value)
    submit(driver, "modell")
    assert not any("av den lokala modellen är tom" in m for m in missing(driver))

    # A code that is not an SSYK 2012 occupation: the error is at its field and nothing is saved.
    enter_track(driver, "vardbitrade", "Vård och omsorg", "vocational", "9999", AF, "male", "40")
    submit(driver, "spar", saved=False)
    error = wait(driver).until(lambda d: d.find_element(By.ID, "spar-ssyk-error"))
    assert "9999" in error.text and "SSYK" in error.text, error.text
    assert error.tag_name == "p" and "error" in error.get_attribute("class")
    assert "spar-ssyk-error" in by_id(driver, "spar-ssyk").get_attribute("aria-describedby")
    assert by_id(driver, "spar-ssyk").get_attribute("value") == "9999", "what was typed is kept"
    assert by_id(driver, "spar-code").get_attribute("value") == "vardbitrade"
    assert driver.find_elements(By.ID, "form-grund"), f"not the editor after the bad SSYK code: {driver.current_url}"
    assert not driver.find_elements(By.CSS_SELECTOR, "#edit-tracks tbody tr"), "a track was saved with a bad SSYK code"
    check_page(driver, "agreement-edit-bad-ssyk")
    # The occupation lookup finds the codes by name.
    driver.get(base_url + EDITOR)
    click_and_wait(driver, driver.find_element(By.LINK_TEXT, "Sök yrkeskoder (SSYK 2012)"))
    by_id(driver, "q").send_keys("vårdbiträd")
    click_and_wait(driver, driver.find_element(By.CSS_SELECTOR, "form[role=search] button"))
    assert "5330" in text(driver.find_element(By.ID, "occupations")), text(driver.find_element(By.ID, "occupations"))
    check_page(driver, "occupations")
    driver.get(base_url + EDITOR)
    assert not driver.find_elements(By.CSS_SELECTOR, "#edit-tracks tbody tr"), "a track was saved with a bad SSYK code"

    add_track(driver, "vardbitrade", "Vård och omsorg", "vocational", "5330 5343", AF, "male", "40")
    add_track(driver, "barnskotare", "Barnskötare", "vocational", "5311 5312", HANINGE, "male", "20")
    add_track(driver, "studier-unga", "Utbildning för unga", "education", "", TYRESO)
    tracks = [text(r) for r in driver.find_elements(By.CSS_SELECTOR, "#edit-tracks tbody tr")]
    assert len(tracks) == 3, tracks
    assert "5330" in tracks[0] and "5343" in tracks[0] and "40" in tracks[0], tracks[0]
    assert not any("lokala spår" in m for m in missing(driver)), missing(driver)

    fill(driver, "perspektiv", "genderEquality", "Spåren har mål för andelen män i vård och barnskötsel.")
    fill(driver, "perspektiv", "childRights", "Barnomsorg ordnas så att föräldrar kan delta.")
    fill(driver, "perspektiv", "publicHealth", "Arbete och egen försörjning stärker hälsan.")
    submit(driver, "perspektiv")
    assert not any("skriftlig bedömning" in m for m in missing(driver)), missing(driver)

    add_cost(driver, "vardbitrade", AF, "2018", "150 000", "employment_service")
    add_cost(driver, "", HANINGE, "2018", "200000", "state_grant")
    totals = {text(r.find_element(By.TAG_NAME, "th")): text(r) for r in driver.find_elements(By.CSS_SELECTOR, "#cost-totals tbody tr")}
    assert "Totalt" in totals, totals
    assert totals["Totalt"].endswith("350 000 kr"), totals
    assert len(driver.find_elements(By.CSS_SELECTOR, "#edit-costs tbody tr")) == 2

    select(driver, "beslut", "org", HANINGE)
    fill(driver, "beslut", "body", "Kommunstyrelsen")
    fill(driver, "beslut", "date", "2017-12-11")
    fill(driver, "beslut", "decision", "Kommunstyrelsen godkänner överenskommelsen om fördjupad samverkan.")
    submit(driver, "beslut")
    assert "Kommunstyrelsen" in text(by_id(driver, "edit-decisions"))

    assert not driver.find_elements(By.ID, "grant-warnings")
    select(driver, "bidrag", "org", HANINGE)
    select(driver, "bidrag", "round", "dua-2017-overenskommelse")
    fill(driver, "bidrag", "basis", "250")
    fill(driver, "bidrag", "purpose", "Ta fram den lokala överenskommelsen")
    fill(driver, "bidrag", "applied", "300000")
    submit(driver, "bidrag")
    warnings = text(by_id(driver, "grant-warnings"))
    assert "200 000 kr" in warnings and "300 000 kr" in warnings, warnings

    fill(driver, "samordnare", "name", "Anna Samordnare")
    fill(driver, "samordnare", "title", "Processledare")
    select(driver, "samordnare", "org", HANINGE)
    fill(driver, "samordnare", "email", "anna.samordnare@haninge.example")
    fill(driver, "samordnare", "phone", "08-606 70 00")
    submit(driver, "samordnare")
    assert by_id(driver, "samordnare-name").get_attribute("value") == "Anna Samordnare"

    assert not driver.find_elements(By.ID, "missing"), missing(driver)
    assert by_id(driver, "complete").is_displayed()
    check_page(driver, "agreement-edit-complete")

    # 4. Haninge signs on the agreement's page.
    driver.get(base_url + AGREEMENT)
    assert by_id(driver, "underteckna-name").get_attribute("value") == "Meeri Wasberg"
    assert by_id(driver, "underteckna-title").get_attribute("value") == "Kommunstyrelseordförande"
    signed_on = sign(driver, "Haninge")
    rows = signature_rows(driver)
    assert f"Haninge, {signed_on}" in rows["Haninge kommun"] and "Meeri Wasberg" in rows["Haninge kommun"], rows
    assert sum("Inte underskriven" in r for r in rows.values()) == 4, rows
    assert "utkast" in text(by_id(driver, "agreement-status"))
    check_page(driver, "agreement-signing")
    sign_out(driver)

    # 5. Every other party's coordinator signs.
    for org in (AF, FSF, NYNASHAMN, TYRESO):
        sign_in(driver, PARTIES[org][1], PASSWORD)
        driver.get(base_url + AGREEMENT)
        assert by_id(driver, "underteckna-name").get_attribute("value") == PARTIES[org][2]
        sign(driver, "Stockholm")
        if org != TYRESO:
            sign_out(driver)
    rows = signature_rows(driver)
    assert not any("Inte underskriven" in r for r in rows.values()), rows
    status = text(by_id(driver, "agreement-status"))
    # Signed by all and valid from 2018-01-01: in force, in this year's period.
    assert status.startswith("Läge: gäller"), status
    assert not driver.find_elements(By.ID, "form-underteckna")
    assert not driver.find_elements(By.ID, "edit-draft"), "a signed agreement offers its editor"
    assert not driver.find_elements(By.CSS_SELECTOR, "ul#missing")

    # 6. The document, with every signature.
    driver.get(base_url + f"{AGREEMENT}/dokument")
    headings = [text(h) for h in driver.find_elements(By.TAG_NAME, "h2")]
    expected = ["1. Parter", "2. Syfte", "3. Mål", "4. Lokal modell", "5. Uppföljning", "6. Överenskommelsens varaktighet och revidering", "7. Underskrifter"]
    assert headings[:7] == expected, headings
    # Issue 26: the annexes carry what the parties wrote, each after the signatures.
    assert headings[7:10] == ["Bilaga 1 Lokal modell", "Bilaga 2 Ekonomiska konsekvenser", "Bilaga 3 Perspektiv"], headings
    signatures = text(driver.find_element(By.CSS_SELECTOR, ".signatures"))
    for _, _, signatory, _ in PARTIES.values():
        assert signatory in signatures, (signatory, signatures)
    assert "Ännu inte undertecknad" not in driver.page_source
    check_page(driver, "agreement-document-signed")
    # The PDF the agreement page links to reads like the seed.
    driver.get(base_url + AGREEMENT)
    pdf_link = driver.find_element(By.ID, "document-pdf").get_attribute("href")
    kind, data = download(driver, base_url, pdf_link.replace(base_url, ""))
    assert kind == "application/pdf" and data.startswith(b"%PDF"), kind
    words = pdf_text(data)
    for heading in expected:
        assert heading in words, (heading, words[:400])
    for _, _, signatory, _ in PARTIES.values():
        assert signatory in words, signatory
    # The decision memo for Haninge's board, linked from the agreement page (issue 26).
    memo = driver.find_element(By.CSS_SELECTOR, "p.memo a").get_attribute("href")
    driver.get(memo)
    memo_headings = [text(h) for h in driver.find_elements(By.TAG_NAME, "h2")]
    assert memo_headings[:3] == ["Sammanfattning", "Förslag till beslut", "Ärendet"], memo_headings
    assert "Bilagor" in memo_headings, memo_headings
    check_page(driver, "agreement-memo")
    sign_out_from(driver, base_url)

    # 7. A revision: version 2 is a draft beside the signed version 1.
    sign_in(driver, PARTIES[HANINGE][1], PASSWORD)
    driver.get(base_url + AGREEMENT)
    click_and_wait(driver, by_id(driver, "revise"))
    assert driver.current_url.split("?")[0] == base_url + EDITOR, driver.current_url
    assert by_id(driver, "grund-nextRevision").get_attribute("value") == "2018-11-30"
    fill(driver, "grund", "nextRevision", "2019-11-30")
    submit(driver, "grund")
    assert by_id(driver, "grund-nextRevision").get_attribute("value") == "2019-11-30"

    driver.get(base_url + AGREEMENT)
    versions = [text(a) for a in driver.find_elements(By.CSS_SELECTOR, f"a[href^='{AGREEMENT}?version=']")]
    assert versions == ["Version 1", "Version 2"], versions
    assert "utkast" in text(by_id(driver, "agreement-status"))
    click_and_wait(driver, driver.find_element(By.LINK_TEXT, "Version 1"))
    assert "version=1" in driver.current_url, driver.current_url
    rows = signature_rows(driver)
    assert len(rows) == 5 and not any("Inte underskriven" in r for r in rows.values()), rows
    assert "Meeri Wasberg" in rows["Haninge kommun"]

    compare = driver.find_element(By.CSS_SELECTOR, "a[href*='jamfor?fran=1&till=2']")
    click_and_wait(driver, compare)
    assert f"{AGREEMENT}/jamfor" in driver.current_url, driver.current_url
    differences = {text(r.find_element(By.TAG_NAME, "th")): text(r) for r in driver.find_elements(By.CSS_SELECTOR, "#compare tbody tr")}
    revision = [row for row in differences.values() if "2018-11-30" in row and "2019-11-30" in row]
    assert revision, differences
    check_page(driver, "agreement-compare-revision")
    sign_out(driver)

    # 8. An analyst of a party may not open the editor.
    sign_in(driver, "analytiker@haninge.example", PASSWORD)
    driver.get(base_url + EDITOR)
    assert "Du har inte behörighet" in text(driver.find_element(By.TAG_NAME, "h1"))
    assert not driver.find_elements(By.ID, "form-grund")
    check_page(driver, "agreement-edit-refused")
    sign_out(driver)


def test_a_published_follow_up_stays_as_published(driver, base_url):
    """Issue 9, part 7, and issue 17: the coordinator publishes the close of 2018-Q4 (made by
    the server at start); a caseworker then registers a person active in 2018; the live report
    changes, the publication does not."""
    year, as_of = "2018", "2018-12-31"
    export = f"/avtal/ostra-sodertorn/uppfoljning/export.csv?ar={year}&per={as_of}"
    sign_in(driver, "samordnare@haninge.example", PASSWORD)
    driver.get(f"{base_url}/avtal/ostra-sodertorn/uppfoljning?ar={year}&per={as_of}")
    wait(driver).until(lambda d: d.find_elements(By.ID, "publish-quarter") or d.refresh())
    Select(by_id(driver, "publish-quarter")).select_by_value("2018-Q4")
    click_and_wait(driver, driver.find_element(By.CSS_SELECTOR, "#publish button"))
    assert "publicerad" in driver.find_element(By.CSS_SELECTOR, ".notice").text
    newest = driver.find_elements(By.CSS_SELECTOR, "#published tbody tr")[0]
    assert as_of in newest.text, newest.text
    link = newest.find_element(By.TAG_NAME, "a").get_attribute("href").replace(base_url, "")
    _, published = download(driver, base_url, link)
    _, live_before = download(driver, base_url, export)
    sign_out_from(driver, base_url)

    # More data for 2018: someone registered in Haninge on 2018-06-01 (born 1955, so not one
    # of the demo's people).
    sign_in(driver, "handlaggare@haninge.example", PASSWORD)
    driver.get(base_url + "/deltagare/ny")
    by_id(driver, "register-personId").send_keys("19550114-2284")
    by_id(driver, "register-givenName").send_keys("Publicerad")
    by_id(driver, "register-familyName").send_keys("Efteråt")
    Select(by_id(driver, "register-municipality")).select_by_value("0136")
    by_id(driver, "register-firstPermitDate").send_keys("2017-05-01")
    registered = by_id(driver, "register-registeredOn")
    registered.clear()
    registered.send_keys("2018-06-01")
    click_and_wait(driver, driver.find_element(By.CSS_SELECTOR, "#form-register button[type=submit]"))
    assert "/deltagare/195501142284" in driver.current_url or "/deltagare/19550114-2284" in driver.current_url, driver.current_url
    sign_out_from(driver, base_url)

    sign_in(driver, "samordnare@haninge.example", PASSWORD)
    _, live_after = download(driver, base_url, export)
    assert live_after != live_before, "the live report counts the new registration"
    _, again = download(driver, base_url, link)
    assert again == published, "a publication never changes"
    driver.get(f"{base_url}/avtal/ostra-sodertorn")
    check_page(driver, "agreement-published-unchanged")
    sign_out_from(driver, base_url)
