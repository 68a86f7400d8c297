"""The invitation page in a real browser (#16): an invitee follows the emailed link, signs in
through the local server's development sign-in, accepts, and the membership exists; plus the
expired, accepted, not-found, wrong-user, no-seat and signed-out states, the keyboard path and
200% zoom. Each state's screenshot goes to SCREENSHOT_DIR (conftest.py)."""

import json
import os
import re
import urllib.parse
import urllib.request
from uuid import uuid4

import ksapi
import pytest
from ksapi.models import InviteStatus
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

import ks3
from ks3 import API_URL, add_member, dev, fresh_email, invite, new_tenant, new_user, token

SES_URL = os.environ["AWS_ENDPOINT_URL_SES"]
TENANT_NAME = "Browser Test Team"


def api_for(credential):
    return ksapi.InvitesApi(ksapi.ApiClient(ksapi.Configuration(host=API_URL, access_token=credential)))


@pytest.fixture
def team():
    """A tenant with a named admin: (tenant id, admin user, InvitesApi as the admin)."""
    tenant = new_tenant(TENANT_NAME)
    admin = new_user(first_name="Ada", last_name="Admin")
    add_member(tenant, admin, "ADMIN")
    return tenant, admin, api_for(token(admin, tenant))


def emailed_link(address):
    """The link of the last invitation the SES emulator received for `address`."""
    with urllib.request.urlopen(f"{SES_URL}/store", timeout=10) as response:
        emails = json.load(response)["emails"]
    mine = [mail for mail in emails if address in mail["destination"]["to"]]
    assert mine, f"no email to {address}"
    links = re.findall(r"https?://\S+/invites/[0-9a-f-]{36}", mine[-1]["body"]["text"])
    assert links, mine[-1]["body"]["text"]
    return links[0]


def state_of(browser, state, timeout=15):
    """Waits until the page shows `state` (main's data-state) and is not busy; checks that
    it fits the window's width (long addresses wrap)."""
    WebDriverWait(browser, timeout).until(
        lambda driver: driver.find_element(By.ID, "main").get_attribute("data-state") == state
        and driver.find_element(By.ID, "main").get_attribute("aria-busy") == "false",
        message=f"page never reached {state}",
    )
    assert browser.execute_script(
        "return document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    ), f"the {state} page scrolls sideways"
    return browser.find_element(By.ID, "main")


def sign_in_from_page(browser, expected_email):
    """Follows the page's sign-in link and signs in with the prefilled email."""
    browser.find_element(By.ID, "sign-in").click()
    WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.ID, "email")))
    field = browser.find_element(By.ID, "email")
    assert field.get_attribute("value") == expected_email
    browser.find_element(By.ID, "sign-in-submit").click()


def sign_in_as(browser, email, page_url):
    """Signs in through the development sign-in as `email`, which redirects back to `page_url`.
    Waiting for that redirect matters: a click does not wait for the form's navigation, and a
    `get` racing it could be overtaken by the sign-in's own redirect (a CI flake once)."""
    browser.get(f"{API_URL}/dev/sign-in?{urllib.parse.urlencode({'redirect_url': page_url})}")
    field = browser.find_element(By.ID, "email")
    field.clear()
    field.send_keys(email)
    browser.find_element(By.ID, "sign-in-submit").click()
    WebDriverWait(browser, 15).until(
        lambda driver: driver.current_url == page_url, message=f"sign-in never returned to {page_url}"
    )


def test_an_invitee_follows_the_emailed_link_signs_in_and_joins(browser, screenshot, team):
    tenant, admin, admin_api = team
    address = fresh_email()
    created = invite(admin_api, tenant, email=address, role="ADMIN")
    link = emailed_link(address)
    assert link == f"{API_URL}/invites/{created.id}"

    browser.get(link)
    page = state_of(browser, "valid")
    text = page.text
    for expected in (TENANT_NAME, address, "Admin", "Ada Admin", "Expires"):
        assert expected in text, text
    screenshot("valid")

    # Not signed in yet: accepting says to sign in as the invitee.
    browser.find_element(By.ID, "accept").click()
    page = state_of(browser, "sign_in")
    assert f"sign in with the account for {address}" in page.text
    screenshot("sign-in-required")

    sign_in_from_page(browser, address)
    state_of(browser, "valid")
    assert browser.current_url == link
    browser.find_element(By.ID, "accept").click()
    page = state_of(browser, "joined")
    assert f"You've joined {TENANT_NAME}" in page.text and "as Admin" in page.text
    screenshot("joined")

    # Through the API the invite is accepted; the user the sign-in made (create-user returns the
    # existing user of an email) is now a member with the invite's role.
    accepted = admin_api.list_invites(status=InviteStatus.ACCEPTED)
    [mine] = [item for item in accepted.items if item.id == created.id]
    assert mine.accepted_at is not None
    member = ks3.membership(tenant, dev("create-user", "--email", address))
    assert member and member["role"] == "ADMIN", member

    # The link again: already accepted.
    browser.get(link)
    page = state_of(browser, "accepted")
    assert f"{address} has already joined {TENANT_NAME}" in page.text
    screenshot("accepted")


def test_an_expired_invitation_says_whom_to_ask(browser, screenshot, team):
    tenant, _, admin_api = team
    created = invite(admin_api, tenant)
    dev("age-invite", "--invite", created.id)
    browser.get(f"{API_URL}/invites/{created.id}")
    page = state_of(browser, "expired")
    assert "This invitation has expired" in page.text
    assert "Ask Ada Admin to send you a new one" in page.text
    assert not browser.find_elements(By.ID, "accept")
    screenshot("expired")


def test_an_unknown_or_malformed_link_is_not_found(browser, screenshot):
    for target in (str(uuid4()), "not-an-invite"):
        browser.get(f"{API_URL}/invites/{target}")
        page = state_of(browser, "not_found")
        assert "We can't find this invitation" in page.text
    screenshot("not-found")


def test_someone_signed_in_as_another_user_is_told_whom_to_sign_in_as(browser, screenshot, team):
    tenant, _, admin_api = team
    address = fresh_email()
    created = invite(admin_api, tenant, email=address)
    page_url = f"{API_URL}/invites/{created.id}"
    sign_in_as(browser, fresh_email(), page_url)
    state_of(browser, "valid")
    browser.find_element(By.ID, "accept").click()
    page = state_of(browser, "wrong_user")
    assert f"This invitation is for {address}" in page.text
    assert f"Sign in as {address}" in page.text
    screenshot("wrong-user")
    # Nothing changed: the invite is still pending.
    pending = admin_api.list_invites(status=InviteStatus.PENDING)
    assert created.id in [item.id for item in pending.items]


def test_a_full_team_says_there_is_no_seat(browser, screenshot, team):
    tenant, _, admin_api = team
    address = fresh_email()
    created = invite(admin_api, tenant, email=address)
    ks3.update_tenant(tenant, "--seat-cap", "1")  # the admin holds the only seat
    sign_in_as(browser, address, f"{API_URL}/invites/{created.id}")
    state_of(browser, "valid")
    browser.find_element(By.ID, "accept").click()
    page = state_of(browser, "no_seat")
    assert f"{TENANT_NAME} has no free seat" in page.text
    screenshot("no-seat")


def test_the_page_works_by_keyboard_and_at_200_percent_zoom(browser, team):
    tenant, _, admin_api = team
    address = fresh_email()
    created = invite(admin_api, tenant, email=address)
    # 200% zoom of a 1280-pixel-wide window: 640 CSS pixels.
    browser.set_window_size(640, 900)
    sign_in_as(browser, address, f"{API_URL}/invites/{created.id}")
    state_of(browser, "valid")  # and it fits 640 CSS pixels
    # Focus starts on the heading; the first Tab reaches the Accept button, Enter presses it.
    assert browser.switch_to.active_element.get_attribute("id") == "title"
    browser.switch_to.active_element.send_keys(Keys.TAB)
    assert browser.switch_to.active_element.get_attribute("id") == "accept"
    browser.switch_to.active_element.send_keys(Keys.ENTER)
    state_of(browser, "joined")


def test_names_from_the_api_are_shown_as_text_never_as_markup(browser):
    markup = '<img src=x onerror="window.pwned=1">'
    tenant = new_tenant(f"Team {markup}")
    admin = new_user(first_name=markup, last_name="Admin")
    add_member(tenant, admin, "ADMIN")
    created = invite(api_for(token(admin, tenant)), tenant)
    browser.get(f"{API_URL}/invites/{created.id}")
    page = state_of(browser, "valid")
    assert f"Team {markup}" in page.text and f"{markup} Admin invited" in page.text
    assert not browser.find_elements(By.TAG_NAME, "img")
    assert browser.execute_script("return window.pwned === undefined")


def test_a_link_with_a_broken_escape_is_not_found_and_every_field_is_labelled(browser):
    browser.get(f"{API_URL}/invites/%ZZ")
    state_of(browser, "not_found")
    browser.get(f"{API_URL}/dev/sign-in")
    fields = browser.find_elements(By.CSS_SELECTOR, "input:not([type=hidden])")
    assert fields
    for field in fields:
        labels = browser.find_elements(By.CSS_SELECTOR, f"label[for='{field.get_attribute('id')}']")
        assert labels and labels[0].text, field.get_attribute("outerHTML")


def test_a_bounced_invitation_says_so_on_the_page(browser, screenshot, team):
    tenant, _, admin_api = team
    created = invite(admin_api, tenant)
    fed = dev("ses-event", "bounce", "--invite", created.id)
    assert fed["delivery"]["status"] == "bounced", fed
    # The list shows it (an extra field ksapi's models drop: read the JSON itself).
    request = urllib.request.Request(
        f"{API_URL}/v1/invites?delivery=bounced",
        headers={"Authorization": f"Bearer {token(team[1], tenant)}"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        page = json.load(response)
    assert [item["id"] for item in page["items"]] == [str(created.id)], page
    assert page["items"][0]["delivery"]["status"] == "bounced"
    browser.get(f"{API_URL}/invites/{created.id}")
    state_of(browser, "valid")
    assert browser.find_element(By.ID, "delivery").text == "Bounced: it never arrived"
    screenshot("bounced")
