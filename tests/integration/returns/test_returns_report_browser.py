"""report.html as the improvement board sees it: rendered by headless Chromium (Debian chromium and chromium-driver,
installed by `make test`), offline, screenshotted, every chart drawn at a real size."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from PIL import Image

from csc.returns import write_return
from csc.returns.report import CHART_IDS, HEADLINE_IDS

from headless_chromium import CHROMEDRIVER, CHROMIUM, HeadlessChromium

pytestmark = pytest.mark.integration

LINE_BLUE = (0x1D, 0x70, 0xB8)

CHARTS = """
return Array.from(document.querySelectorAll('figure.chart')).map(figure => {
  const svg = figure.querySelector('svg'), r = svg.getBoundingClientRect();
  const line = svg.querySelector('polyline.value'), box = line ? line.getBBox() : null;
  return {id: figure.id, x: r.left + scrollX, y: r.top + scrollY, width: r.width, height: r.height,
          visible: getComputedStyle(figure).display !== 'none' && getComputedStyle(figure).visibility === 'visible',
          line: box ? [box.width, box.height] : null,
          points: svg.querySelectorAll('circle.point').length,
          targets: svg.querySelectorAll('polyline.target, line.target').length,
          bars: Array.from(svg.querySelectorAll('rect.bar')).map(b => b.getBoundingClientRect().width)};
});
"""


@pytest.fixture(scope="module")
def browser() -> Iterator[HeadlessChromium]:
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.fail("Chromium is not installed: run `make browser` (or `make test`, which installs it).")
    chromium = HeadlessChromium()
    try:
        yield chromium
    finally:
        chromium.quit()


def rgb_pixels(image: Image.Image) -> list[tuple[int, int, int]]:
    data = image.convert("RGB").tobytes()
    return [(data[k], data[k + 1], data[k + 2]) for k in range(0, len(data), 3)]


def blue_pixels(image: Image.Image) -> int:
    return sum(1 for pixel in rgb_pixels(image)
               if all(abs(a - b) <= 40 for a, b in zip(pixel, LINE_BLUE, strict=True)))


def test_report_renders_offline_with_every_chart(published, browser, tmp_path):
    files = write_return(published.la_code, published.quarter.name, published.settings)
    browser.get(files.report_html.as_uri())
    assert browser.title.startswith("Quarterly return: Demoshire")
    assert browser.execute("return performance.getEntriesByType('resource').length") == 0, \
        "the report fetched something: it must be self-contained"

    height = browser.execute("return document.documentElement.scrollHeight")
    browser.set_window_size(1280, height + 200)
    assert browser.execute("return innerHeight") >= height, "the whole page fits the window"
    screenshot = tmp_path / "report.png"
    screenshot.write_bytes(browser.screenshot())
    page = Image.open(io.BytesIO(screenshot.read_bytes()))
    assert page.size[0] >= 1000 and page.size[1] >= height
    assert len(set(rgb_pixels(page.resize((64, 256))))) > 50, "the page is not blank"

    assert browser.execute("return document.querySelectorAll('.cards .card').length") == len(HEADLINE_IDS)
    assert browser.execute("return document.querySelector('#headline-unallocated .value').textContent") == "42"

    charts = {chart["id"]: chart for chart in browser.execute(CHARTS)}
    assert set(charts) == {f"trend-{i.lower()}" for i in CHART_IDS} | {"teams-unallocated", "teams-caseload"}
    for indicator_id in CHART_IDS:
        chart = charts[f"trend-{indicator_id.lower()}"]
        assert chart["visible"] and chart["width"] > 300 and chart["height"] > 100, chart
        assert chart["line"] and chart["line"][0] > 100, f"{indicator_id}: no value line"
        assert 7 <= chart["points"] <= 8, chart  # 8 quarters; WF_AGENCY_RATE has one without a value
        drawn = page.crop((int(chart["x"]), int(chart["y"]), int(chart["x"] + chart["width"]),
                           int(chart["y"] + chart["height"])))
        assert blue_pixels(drawn) > 200, f"{indicator_id}: the value line is not on the screenshot"
        if indicator_id in ("UNALLOCATED", "ASMT_45WD", "CASELOAD_AVG"):
            assert chart["targets"] >= 1, f"{indicator_id}: no target line"

    teams = charts["teams-unallocated"]
    assert len(teams["bars"]) == 7 and all(width > 0 for width in teams["bars"]), "a bar per team with children"
    drawn = page.crop((int(teams["x"]), int(teams["y"]), int(teams["x"] + teams["width"]),
                       int(teams["y"] + teams["height"])))
    assert blue_pixels(drawn) > 500
    caseload = charts["teams-caseload"]
    assert len(caseload["bars"]) == 3 and caseload["targets"] == 1, "3 teams with allocated children, the target"
