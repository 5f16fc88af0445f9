#!/usr/bin/env python3
"""The pictures of docs/serve.md: the demo's database served, the entries
page, and the smoothed ch2's entry page with its Otsu mask overlaid, taken
in headless Chromium.

    PYTHONPATH=build/python /usr/bin/python3 tests/cli/serve/screenshots.py \\
        build/voxcache build/demo/cache.db docs/serve
"""

import os
import sys
import time

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import conftest  # noqa: E402
from chromium import Browser  # noqa: E402


def main():
    cli, db, out = sys.argv[1:4]
    conftest.CLI = cli
    os.makedirs(out, exist_ok=True)
    by_op = conftest.entries_by_operation(db)
    server = conftest.Server(db)
    b = Browser(1280, 1000)
    try:
        b.driver.get(server.url + "/")
        b.wait_for("return document.body.dataset.loaded")
        b.wait_for("return [...document.querySelectorAll('img.thumb')].every("
                   "i => i.complete && i.naturalWidth > 0)")
        b.driver.save_screenshot(os.path.join(out, "entries.png"))
        smooth = by_op["itk.SmoothingRecursiveGaussian"]["key"]
        b.driver.get(f"{server.url}/entries/{smooth}")
        b.wait_for("return window.voxcacheViewer.ready")
        Select(b.driver.find_element(By.ID, "overlay")).select_by_value(
            by_op["itk.OtsuThreshold"]["key"])
        b.wait_for("return window.voxcacheViewer.overlay")
        canvas = b.driver.find_element(By.ID, "gl")
        ActionChains(b.driver).move_to_element_with_offset(
            canvas, -canvas.size["width"] // 4, -canvas.size["height"] // 5).click().perform()
        time.sleep(1)
        # The viewer and the lineage graph in one picture: the record between
        # them is folded away for it.
        b.driver.execute_script("document.getElementById('record').style.display = 'none';"
                                "document.querySelectorAll('h2')[1].style.display = 'none'")
        b.driver.save_screenshot(os.path.join(out, "entry.png"))
    finally:
        b.quit()
        server.stop()


if __name__ == "__main__":
    main()
