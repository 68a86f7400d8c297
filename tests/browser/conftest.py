"""Fixtures of the invitation page's browser test: headless Debian Chromium driven by Selenium,
against the local server scripts/test starts (INVITES_API_URL), whose INVITE_LINK_BASE_URL is
its own /invites page. The ksapi 3.18.2 suite's helpers (tests/python3/ks3.py) seed tenants,
users and tokens."""

import os
import pathlib
import shutil
import sys
import tempfile

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "python3"))

SCREENSHOTS = pathlib.Path(os.environ.get("SCREENSHOT_DIR", "target/browser-screenshots"))


def _chromium_options(profile):
    options = webdriver.ChromeOptions()
    options.binary_location = os.environ.get("CHROMIUM_BIN", "/usr/bin/chromium")
    # This machine's network is closed: without the background-networking flags Chromium keeps
    # trying Google's hosts. --no-sandbox: the tests may run as root (CI containers).
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                 f"--user-data-dir={profile}", "--window-size=1024,900", "--lang=en-US"):
        options.add_argument(flag)
    return options


@pytest.fixture
def browser():
    """A fresh browser (own profile: no cookie carries over between tests)."""
    profile = tempfile.mkdtemp(prefix="invites-chromium-")
    service = Service(executable_path=os.environ.get("CHROMEDRIVER_BIN", "/usr/bin/chromedriver"))
    driver = webdriver.Chrome(service=service, options=_chromium_options(profile))
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def screenshot(browser):
    """screenshot(name): saves the page as SCREENSHOT_DIR/invite-<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(name):
        browser.save_screenshot(str(SCREENSHOTS / f"invite-{name}.png"))

    return take
