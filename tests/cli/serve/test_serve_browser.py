"""voxcache serve in a real browser: Debian's headless Chromium driven by
Selenium opens the entries page and the entry pages of the demo's
database, waits for NiiVue to draw, checks the canvas is not blank, moves
the crosshair by clicking and compares the voxel value the page reports
with the value the library returns for that voxel."""

import io
import shutil
import time

import numpy as np
import pytest
from PIL import Image
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

import voxcache
from chromium import Browser, wait_for
from conftest import entries_by_operation


@pytest.fixture(scope="module")
def chromium():
    b = Browser()
    yield b
    b.quit()


@pytest.fixture(scope="module")
def browser(chromium):
    return chromium.driver


@pytest.fixture(scope="module")
def demo(demo_db, tmp_path_factory):
    db = tmp_path_factory.mktemp("browser") / "cache.db"
    shutil.copy(demo_db, db)
    by_op = entries_by_operation(db)
    library = str(db) + ".library.db"  # the library reads a copy: the served file stays as it was
    shutil.copy(db, library)
    with voxcache.Cache(library) as c:
        volumes = {op: c.get(e["key"]) for op, e in by_op.items()}
    return db, by_op, volumes


def crosshair_reports(browser, points):
    """Clicks the viewer at each (x, y) fraction of its canvas in turn and
    yields the page's report of every click that moved the crosshair (a
    click between the planes moves nothing)."""
    canvas = browser.find_element(By.ID, "gl")
    w, h = canvas.size["width"], canvas.size["height"]
    for fx, fy in points:
        browser.execute_script("window.voxcacheViewer.location = null")
        ActionChains(browser).move_to_element_with_offset(
            canvas, int((fx - 0.5) * w), int((fy - 0.5) * h)).click().perform()
        try:
            yield wait_for(browser, "return window.voxcacheViewer.location", timeout=10)
        except AssertionError:
            continue


def canvas_image(driver):
    png = driver.find_element(By.ID, "gl").screenshot_as_png
    return np.asarray(Image.open(io.BytesIO(png)).convert("L"))


def test_entries_page_lists_sorts_and_shows_thumbnails(browser, demo, serve):
    db, by_op, _ = demo
    s = serve(db)
    browser.get(s.url + "/")
    wait_for(browser, "return document.body.dataset.loaded")
    rows = browser.find_elements(By.CSS_SELECTOR, "#entries tbody tr")
    assert {r.get_attribute("data-key") for r in rows} == {e["key"] for e in by_op.values()}
    wait_for(browser, "return [...document.querySelectorAll('img.thumb')].every("
                      "i => i.complete && i.naturalWidth > 0)")
    assert "4 entries" in browser.find_element(By.ID, "totals").text
    assert "volume: 4 entries" in browser.find_element(By.ID, "bytes-by-type").text
    browser.find_element(By.CSS_SELECTOR, "th[data-sort=size]").click()
    largest = max(by_op.values(), key=lambda e: e["stored_bytes"])["key"]
    wait_for(browser, "return document.querySelector('#entries tbody tr').dataset.key === "
                      f"'{largest}'")
    # A filter narrows the table.
    browser.find_element(By.NAME, "op").send_keys("itk.OtsuThreshold")
    browser.find_element(By.CSS_SELECTOR, "#filters button").click()
    wait_for(browser, "return document.querySelectorAll('#entries tbody tr').length === 1")


def test_viewer_draws_and_reports_the_library_voxel(browser, demo, serve):
    db, by_op, volumes = demo
    s = serve(db)
    key = by_op[None]["key"]  # ch2 itself
    browser.get(f"{s.url}/entries/{key}")
    wait_for(browser, "return window.voxcacheViewer && window.voxcacheViewer.ready")
    assert browser.execute_script("return window.voxcacheViewer.nv !== null")
    pixels = canvas_image(browser)
    assert pixels.std() > 10 and len(np.unique(pixels)) > 50, "the canvas is blank"
    xyz = volumes[None].xyz
    seen = set()
    points = ((0.2, 0.25), (0.3, 0.3), (0.25, 0.75), (0.7, 0.3), (0.2, 0.7))
    for loc in crosshair_reports(browser, points):
        vox = tuple(int(i) for i in loc["vox"])
        assert all(0 <= v < n for v, n in zip(vox, xyz.shape)), vox
        assert loc["value"] == float(xyz[vox]), (vox, loc["value"], xyz[vox])
        text = browser.find_element(By.ID, "location").text
        assert f"voxel [{vox[0]}, {vox[1]}, {vox[2]}]\nvalue {loc['value']}\n" in text
        seen.add(vox)
    assert len(seen) >= 2, "clicks did not move the crosshair"
    # A lineage graph of one node: ch2 has no inputs.
    assert len(browser.find_elements(By.CSS_SELECTOR, "svg.lineage a")) == 1


def test_overlay_of_a_derived_mask_and_the_lineage_graph(browser, demo, serve):
    db, by_op, _ = demo
    s = serve(db)
    smooth = by_op["itk.SmoothingRecursiveGaussian"]["key"]
    mask = by_op["itk.OtsuThreshold"]["key"]
    browser.get(f"{s.url}/entries/{smooth}")
    wait_for(browser, "return window.voxcacheViewer && window.voxcacheViewer.ready")
    before = canvas_image(browser)
    Select(browser.find_element(By.ID, "overlay")).select_by_value(mask)
    wait_for(browser, f"return window.voxcacheViewer.overlay === '{mask}'")
    assert browser.execute_script("return window.voxcacheViewer.nv.volumes.length") == 2
    time.sleep(0.5)
    after = canvas_image(browser)
    assert np.abs(after.astype(int) - before.astype(int)).mean() > 1, "the overlay drew nothing"
    # The graph: ch2 -> smooth, each node a link to its entry.
    links = browser.find_elements(By.CSS_SELECTOR, "svg.lineage a")
    assert {a.get_attribute("data-key") for a in links} == {smooth, by_op[None]["key"]}
    browser.find_element(By.CSS_SELECTOR, f"svg.lineage a[data-key='{by_op[None]['key']}']").click()
    wait_for(browser, f"return location.pathname === '/entries/{by_op[None]['key']}'")


def test_token_pages_and_the_fallback_without_niivue(browser, demo, serve, tmp_path):
    db, by_op, _ = demo
    empty = tmp_path / "no-niivue"
    empty.mkdir()
    s = serve(db, "--token", "t0ken", "--web-dir", str(empty))
    key = by_op["itk.OtsuThreshold"]["key"]
    browser.get(f"{s.url}/entries/{key}?token=t0ken")
    wait_for(browser, "return window.voxcacheViewer && window.voxcacheViewer.ready")
    # No NiiVue: three PNG slices from the API, each loaded through the token.
    wait_for(browser, "const i = [...document.querySelectorAll('#slices img')];"
                      "return i.length === 3 && i.every(x => x.complete && x.naturalWidth > 0)")
    assert browser.execute_script("return window.voxcacheViewer.nv") is None
    browser.get(f"{s.url}/?token=t0ken")
    wait_for(browser, "return document.body.dataset.loaded")
    assert len(browser.find_elements(By.CSS_SELECTOR, "#entries tbody tr")) == 4


def test_a_volume_over_the_viewers_bound_is_shown_every_nth_voxel(browser, serve, tmp_path):
    # 260^3 voxels: over 256^3, so the viewer gets every 2nd voxel and the
    # full-resolution planes through the crosshair come from the entry.
    db = tmp_path / "cache.db"
    rng = np.random.default_rng(3)
    a = rng.integers(0, 250, size=(260, 260, 260), dtype=np.uint8)  # (z, y, x)
    with voxcache.Cache(db) as c:
        key = voxcache.key("big")
        c.put(key, voxcache.Volume(a))
        xyz = c.get(key).xyz
    s = serve(db)
    browser.get(f"{s.url}/entries/{key.hex}")
    wait_for(browser, "return window.voxcacheViewer && window.voxcacheViewer.ready")
    assert "every 2th voxel" in browser.find_element(By.ID, "step-note").text
    wait_for(browser, "return ['full-x', 'full-y', 'full-z'].every(id => {"
                      "const i = document.getElementById(id); return i.complete && i.naturalWidth > 0})")
    assert browser.execute_script("return document.getElementById('full-z').naturalWidth") == 260
    for loc in crosshair_reports(browser, ((0.2, 0.25), (0.25, 0.75), (0.7, 0.3))):
        vox = tuple(int(i) for i in loc["vox"])  # the entry's voxel: even indices
        assert all(v % 2 == 0 for v in vox), vox
        assert loc["value"] == int(xyz[vox])
        src = browser.find_element(By.ID, "full-z").get_attribute("src")
        assert src.endswith(f"axis=z&index={vox[2]}"), src
        return
    raise AssertionError("no click moved the crosshair")
