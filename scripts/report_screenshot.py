"""Screenshot of the report's first screen as a reader sees it (headless Chromium at
1280 x 800 px, the system's chromium and chromedriver).

    .venv/bin/python scripts/report_screenshot.py results/report.html docs/report-first-screen-en.png
"""

from __future__ import annotations

import sys
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service


def main(html: str, png: str, width: int = 1280, height: int = 800) -> None:
    if not Path(html).is_file():
        sys.exit(f"report_screenshot: {html!r} is not a file (give the path of results/report.html)")
    opts = Options()
    opts.binary_location = "/usr/bin/chromium"
    for a in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        f"--window-size={width},{height}",
        "--force-device-scale-factor=1",
        "--lang=en",
    ):
        opts.add_argument(a)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
    try:
        driver.get(Path(html).resolve().as_uri())
        driver.save_screenshot(png)
    finally:
        driver.quit()
    print(png)


if __name__ == "__main__":
    main(*sys.argv[1:3])
