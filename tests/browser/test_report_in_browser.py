"""The committed report (figures/report.html) in a real browser: Debian's headless Chromium driven by Selenium.

`make test-browser` installs Chromium (tests/browser/install_chromium.sh) and runs these tests; under a plain
`make test` they are skipped, with that message, when Chromium or its driver is absent. A screenshot of the
page's top is written to logs/browser/report-top.png for the record.
"""

from __future__ import annotations

import base64
import io
import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
REPORT = Path(os.environ.get("GANDIV_REPORT", REPO / "figures" / "report.html"))  # another run's report to check
SCREENSHOT = REPO / "logs" / "browser" / "report-top.png"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")

pytestmark = pytest.mark.skipif(CHROMIUM is None or CHROMEDRIVER is None,
                                reason="Chromium or chromedriver not found: `make test-browser` installs Debian's "
                                       "chromium and chromium-driver (as root) and runs the browser tests")


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--window-size=1280,900", "--allow-file-access-from-files"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)  # no driver download
    driver.get(REPORT.as_uri())
    yield driver
    driver.quit()


def run(driver, script: str):
    return driver.execute_script(script)


def test_every_image_loads_and_no_console_errors(browser):
    images = run(browser, "return [...document.images].map(i => [i.alt, i.complete && i.naturalWidth > 0]);")
    assert len(images) >= 20 and all(ok for _, ok in images), [alt for alt, ok in images if not ok]
    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert not errors, errors


def test_every_link_resolves(browser):
    internal = run(browser, "return [...document.querySelectorAll('a[href^=\"#\"]')]"
                            ".map(a => [a.getAttribute('href'), !!document.getElementById(a.getAttribute('href').slice(1))]);")
    assert internal and all(ok for _, ok in internal), [href for href, ok in internal if not ok]
    files = run(browser, "return [...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href'))"
                         ".filter(h => !h.startsWith('#'));")
    assert files and all((REPORT.parent / href).is_file() for href in files), [
        href for href in files if not (REPORT.parent / href).is_file()]


def test_clicking_a_figure_shows_it_larger_than_its_thumbnail(browser):
    from selenium.webdriver.common.by import By

    thumbnail = browser.find_element(By.CSS_SELECTOR, "#fig-objectives-zoo img.zoomable")
    browser.execute_script("arguments[0].scrollIntoView();", thumbnail)
    small = thumbnail.rect["width"] * thumbnail.rect["height"]
    thumbnail.click()
    big = browser.find_element(By.CSS_SELECTOR, "#zoom.open img")
    assert big.is_displayed() and big.rect["width"] * big.rect["height"] > 1.5 * small
    browser.find_element(By.ID, "zoom").click()  # a click closes it
    assert not browser.find_element(By.ID, "zoom").is_displayed()


def test_the_contents_stay_reachable_at_the_bottom_of_the_page(browser):
    from selenium.webdriver.common.by import By

    run(browser, "window.scrollTo(0, document.body.scrollHeight);")
    bottom = run(browser, "return window.scrollY;")
    assert bottom > 5000  # a long page
    link = browser.find_element(By.CSS_SELECTOR, 'nav#contents a[href="#fig-iclr-fig1"]')
    assert link.is_displayed()
    link.click()
    assert run(browser, "return window.scrollY;") < bottom - 2000  # it took the reader back up


def test_the_animation_has_more_than_one_frame(browser):
    import imageio.v3 as iio

    sources = run(browser, "return [...document.images].map(i => i.src).filter(s => s.startsWith('data:image/gif'));")
    assert sources, "no GIF in the report"
    frames = iio.imread(io.BytesIO(base64.b64decode(sources[0].split(",", 1)[1])), index=None, extension=".gif")
    assert frames.shape[0] > 1


def test_a_screenshot_of_the_top_is_written(browser):
    run(browser, "window.scrollTo(0, 0);")
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    assert browser.save_screenshot(str(SCREENSHOT)) and SCREENSHOT.stat().st_size > 10_000
