"""Debian's headless Chromium under Selenium, as the browser tests, the
screenshots and the serve benchmark start it."""

import os
import shutil
import tempfile
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


def wait_for(driver, script, timeout=90):
    """The script's value once it is truthy; AssertionError after `timeout` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = driver.execute_script(script)
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for: {script}")


class Browser:
    def __init__(self, width=1400, height=1100):
        # quickstart.sh installs both for the tests: a missing one is a
        # failure, never a skip that would let CI pass without a browser.
        assert os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER), \
            "needs Debian's chromium and chromium-driver"
        self.profile = tempfile.mkdtemp(prefix="voxcache-chromium-")
        o = webdriver.ChromeOptions()
        o.binary_location = CHROMIUM
        # As root and without a GPU: no sandbox, WebGL through SwiftShader;
        # no traffic but to the server on loopback.
        for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--use-angle=swiftshader",
                  "--enable-unsafe-swiftshader", f"--window-size={width},{height}",
                  "--user-data-dir=" + self.profile):
            o.add_argument(a)
        self.driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=o)

    def wait_for(self, script, timeout=90):
        return wait_for(self.driver, script, timeout)

    def quit(self):
        self.driver.quit()
        shutil.rmtree(self.profile, ignore_errors=True)
