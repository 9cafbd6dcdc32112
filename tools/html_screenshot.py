"""Takes the screenshot of an HTML lint report that docs/ shows: the page top, then a listing's details.

    python tools/html_screenshot.py REPORT.html OUT.png [--search WORDS]

Needs Debian's `chromium` and `chromium-driver` and the `selenium` package (the test extras).
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("report")
    ap.add_argument("out")
    ap.add_argument("--search", default="ad_law.extreme_words", help="typed into the search box before the shot")
    a = ap.parse_args()
    chromium, driver_path = shutil.which("chromium"), shutil.which("chromedriver")
    if not (chromium and driver_path):
        print("html_screenshot: needs chromium and chromedriver (apt-get install chromium chromium-driver)",
              file=sys.stderr)
        return 2
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,1400", "--hide-scrollbars"):
        opts.add_argument(arg)
    driver = webdriver.Chrome(service=Service(driver_path), options=opts)
    try:
        driver.get(Path(a.report).resolve().as_uri())
        driver.find_element("id", "search").send_keys(a.search)
        driver.find_element("css selector", "#records tbody tr").click()
        driver.execute_script("document.getElementById('records-section').scrollIntoView()")
        driver.save_screenshot(a.out)
    finally:
        driver.quit()
    print(f"wrote {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
