"""Headless Chromium driven by Selenium for the console's tests and bench
(Debian's chromium, chromium-driver and python3-selenium)."""
import os
import time

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


class Browser:
    """One headless Chromium; `errors()` returns the browser log's SEVERE lines since the last call."""

    def __init__(self, width=1280, height=800):
        for exe in (CHROMIUM, CHROMEDRIVER):
            if not os.path.exists(exe):
                raise AssertionError(f"{exe} is missing: scripts/install-deps.sh test installs chromium and chromium-driver")
        o = Options()
        o.binary_location = CHROMIUM
        for a in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--no-first-run",
                  "--disable-extensions", "--disable-background-networking", "--disable-sync", "--mute-audio",
                  f"--window-size={width},{height}"):
            o.add_argument(a)
        o.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        self.driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=o)
        self.driver.set_page_load_timeout(30)
        self.viewport(width, height)

    def viewport(self, width, height):
        """Emulates a viewport of exactly width×height (a phone's too)."""
        self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                    {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})

    def get(self, url):
        self.driver.get(url)

    def js(self, script, *args):
        return self.driver.execute_script(script, *args)

    def js_async(self, script, *args):
        """Runs `script` whose last argument is the callback (execute_async_script)."""
        self.driver.set_script_timeout(60)
        return self.driver.execute_async_script(script, *args)

    def click(self, element):
        """Scrolls `element` into view and clicks it (through the DOM: WebDriver's own click, computed
        against the window, misses under viewport emulation). Given a CSS selector, the element is
        found again if a live re-render replaced it between finding and clicking."""
        if not isinstance(element, str):
            self.js("arguments[0].scrollIntoView({block: 'center'}); arguments[0].click();", element)
            return element
        for attempt in range(10):
            try:
                return self.click(self.find(element))
            except StaleElementReferenceException:
                if attempt == 9:
                    raise
                time.sleep(0.1)

    def find(self, css):
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def find_all(self, css):
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def wait(self, predicate, timeout, what):
        try:
            # A list redrawn while it is read is read again.
            return WebDriverWait(self.driver, timeout, poll_frequency=0.05,
                                 ignored_exceptions=(StaleElementReferenceException,)).until(lambda d: predicate())
        except TimeoutException:
            raise AssertionError(f"not within {timeout} s: {what}") from None

    def wait_css(self, css, timeout=10):
        return self.wait(lambda: (self.find_all(css) or [None])[0], timeout, f"an element {css}")

    def errors(self):
        return [e for e in self.driver.get_log("browser") if e["level"] == "SEVERE"]

    def screenshot(self, path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        self.driver.save_screenshot(path)

    def quit(self):
        self.driver.quit()


def settle(seconds=0.2):
    time.sleep(seconds)
