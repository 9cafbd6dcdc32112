"""`rulekit lint --format html`: one self-contained page, checked as a file and in headless Chromium."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from rulekit.io.html import decode_rows
from tests.helpers import REPO, run_cli, write

NOW = "2025-06-10T12:00:00+08:00"
CHROMIUM = next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)
DRIVER = shutil.which("chromedriver")
#: CI sets this: there the browser tests must run, never skip
REQUIRED = os.environ.get("RULEKIT_BROWSER_TESTS") == "1"


def render(tmp_path: Path, *inputs: str | Path, name: str = "report.html") -> Path:
    out = tmp_path / name
    r = run_cli("lint", "--now", NOW, "--fail-on", "never", "--format", "html", "-o", out, *inputs)
    assert r.returncode == 0, r.stderr
    assert r.stdout == ""
    return out


def embedded(page: str) -> dict[str, Any]:
    """The page's data, with its rows decoded as the page's script decodes them."""
    m = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', page, re.S)
    assert m is not None
    data = json.loads(m.group(1))
    data["rows"] = decode_rows(data)
    return data  # type: ignore[no-any-return]


#: the bundled example records (examples/doudian holds raw 抖店 data, read through adapters)
EXAMPLES = sorted((REPO / "examples").glob("*.jsonl"))


def listings(n: int, title: str = "全网最低价 蓝牙耳机") -> list[dict[str, Any]]:
    return [{"id": f"L-{i:05d}", "shop_id": f"S-{i % 37}", "title": title if i % 3 else "纯棉短袖T恤 宽松圆领",
             "description": "", "category": "数码", "price": 59, "images": [],
             "published_at": "2025-06-01T10:00:00+08:00"} for i in range(n)]


def test_page_is_self_contained_and_carries_every_finding(tmp_path: Path) -> None:
    page = render(tmp_path, *EXAMPLES).read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert "<link" not in page and "<script src" not in page
    assert not re.search(r'(src|href)\s*=\s*"(https?:)?//', page), "the page must not fetch anything"
    data = embedded(page)
    jsonl = run_cli("lint", "--now", NOW, "--fail-on", "never", "--format", "jsonl", *EXAMPLES).stdout
    reports = [json.loads(line) for line in jsonl.splitlines()]
    with_findings = [r for r in reports if r["violations"] or r["errors"]]
    assert [(r["id"], r["kind"]) for r in data["rows"]] == [(r["id"], r["kind"]) for r in with_findings]
    assert re.search(r'<dd id="run-records">176</dd>', page)
    assert "ad_law.extreme_words" in page and "<svg" in page


def test_markup_in_the_data_stays_text(tmp_path: Path) -> None:
    evil = listings(3, title='全网最低价 </script><script>document.title="pwned"</script>')
    evil[2]["title"] += " \ud800"  # a lone surrogate: that record is invalid input (docs/security.md)
    f = write(tmp_path, "evil.jsonl", "".join(json.dumps(r, ensure_ascii=True) + "\n" for r in evil))
    page = render(tmp_path, f).read_text(encoding="utf-8")
    assert page.count("</script>") == 2  # the data block's and the script's own, nothing from the data
    rows = embedded(page)["rows"]
    assert rows[0]["texts"]["listing.title"].startswith("全网最低价 </script>")
    assert "lone surrogate" in json.dumps(rows[1]["errors"], ensure_ascii=False)


# ---- in the browser -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def browser() -> Any:
    if not (CHROMIUM and DRIVER):
        if REQUIRED:
            pytest.fail("RULEKIT_BROWSER_TESTS=1 but chromium and chromedriver are not installed")
        pytest.skip("chromium and chromedriver are not installed (CI installs them)")
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1280,1600", "--hide-scrollbars"):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(DRIVER), options=opts)
    yield driver
    driver.quit()


def open_page(browser: Any, path: Path) -> None:
    browser.get(path.as_uri())
    browser.get_log("browser")  # start each page with an empty console


def console_errors(browser: Any) -> list[str]:
    return [e["message"] for e in browser.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]


def rows_shown(browser: Any) -> list[list[str]]:
    return browser.execute_script(
        "return Array.from(document.querySelectorAll('#records tbody tr'))"
        ".map(tr => Array.from(tr.cells).map(td => td.textContent))")  # type: ignore[no-any-return]


def test_examples_page_loads_draws_and_searches(browser: Any, tmp_path: Path) -> None:
    path = render(tmp_path, *EXAMPLES)
    open_page(browser, path)
    assert browser.title == "rulekit lint report"
    counts = browser.execute_script(
        "return [document.querySelectorAll('svg.chart rect').length, document.querySelectorAll('svg.bars rect').length]")
    assert counts[0] >= 3 and counts[1] >= 20  # the decision chart and the bar charts drew
    before = rows_shown(browser)
    assert len(before) == 50  # the first page of 83 records with findings
    assert "page 1 of 2" in browser.find_element("id", "page-info").text
    box = browser.find_element("id", "search")
    box.send_keys("fraud.ip_burst")
    after = rows_shown(browser)
    assert 0 < len(after) < len(before) and all("fraud.ip_burst" in r[4] for r in after)
    browser.find_element("id", "clear").click()
    assert len(rows_shown(browser)) == 50
    # a bar links to its rule's records
    browser.execute_script("location.hash = '#rule=ad_law.extreme_words'")
    linked = rows_shown(browser)
    assert linked and all("ad_law.extreme_words" in r[4] for r in linked)
    browser.save_screenshot(str(tmp_path / "report.png"))
    assert (tmp_path / "report.png").stat().st_size > 10_000
    assert console_errors(browser) == []


def test_a_highlighted_match_sits_at_its_offsets(browser: Any, tmp_path: Path) -> None:
    # a wide character before the match: code-point offsets differ from UTF-16 ones after it
    recs = listings(3, title="🎉夏季 全网最低价 耳机")
    path = render(tmp_path, write(tmp_path, "l.jsonl", "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in recs)))
    data = embedded(path.read_text(encoding="utf-8"))
    row = data["rows"][0]
    ev = next(e for v in row["violations"] for e in v["evidence"] if e["field"] == "listing.title")
    open_page(browser, path)
    browser.find_element("css selector", "#records tbody tr").click()
    got = browser.execute_script("""
        const mark = document.querySelector('#detail mark');
        let before = 0;
        for (const node of mark.parentNode.childNodes) {
          if (node === mark) break;
          before += Array.from(node.textContent).length;
        }
        return [before, Array.from(mark.textContent).length, mark.textContent, mark.dataset.start,
                mark.parentNode.textContent];""")
    assert got[0] == ev["start"] and got[0] + got[1] == ev["end"]
    assert got[2] == ev["text"] == "".join(list("🎉夏季 全网最低价 耳机")[ev["start"]:ev["end"]]) == "全网最低价"
    assert got[3] == str(ev["start"]) == "4"
    assert got[4] == "🎉夏季 全网最低价 耳机"
    assert console_errors(browser) == []


def test_ten_thousand_records_page_through(browser: Any, tmp_path: Path) -> None:
    f = write(tmp_path, "many.jsonl", "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in listings(10_000)))
    path = render(tmp_path, f)
    assert path.stat().st_size < 12_000_000
    open_page(browser, path)
    info = browser.find_element("id", "page-info").text
    assert "page 1 of 134" in info and "6,666 records" in info
    browser.find_element("id", "next").click()
    assert "page 2 of 134" in browser.find_element("id", "page-info").text
    assert rows_shown(browser)[0][0] == "L-00076"
    browser.find_element("id", "search").send_keys("S-5 ")
    shown = rows_shown(browser)
    assert shown and all(r[2] == "S-5" for r in shown)
    browser.find_element("id", "clear").click()
    browser.find_element("css selector", '#records th[data-key="id"]').click()  # ascending
    browser.find_element("css selector", '#records th[data-key="id"]').click()  # descending
    ids = [r[0] for r in rows_shown(browser)]
    assert ids == sorted(ids, reverse=True) and ids[0] == "L-09998"
    browser.save_screenshot(str(tmp_path / "many.png"))
    assert (tmp_path / "many.png").stat().st_size > 10_000
    assert browser.find_element("css selector", "#shops tbody tr td").text.startswith("S-")
    assert console_errors(browser) == []


def test_output_option_writes_any_format_and_never_over_an_input(tmp_path: Path) -> None:
    f = write(tmp_path, "l.jsonl", "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in listings(4)))
    out = tmp_path / "r.jsonl"
    r = run_cli("lint", "--now", NOW, "--fail-on", "never", "--format", "jsonl", "-o", out, f)
    assert r.returncode == 0 and r.stdout == "" and len(out.read_text(encoding="utf-8").splitlines()) == 4
    before = f.read_bytes()
    r = run_cli("lint", "--now", NOW, "--format", "html", "-o", f, f)
    assert r.returncode == 2 and "one of the input files" in r.stderr
    assert f.read_bytes() == before


def test_readable_at_a_phones_width(browser: Any, tmp_path: Path) -> None:
    path = render(tmp_path, *EXAMPLES)
    browser.set_window_size(390, 844)
    try:
        open_page(browser, path)
        widths = browser.execute_script(
            "return [document.body.scrollWidth, window.innerWidth,"
            " getComputedStyle(document.querySelector('#records th:nth-child(6)')).display]")
        assert widths[0] <= widths[1] + 1, widths  # nothing wider than the screen: wide tables scroll in place
        assert widths[2] == "none"  # the message column gives way on a narrow screen
        assert console_errors(browser) == []
    finally:
        browser.set_window_size(1280, 1600)


def test_invalid_input_is_listed_with_file_and_line(browser: Any, tmp_path: Path) -> None:
    good = json.dumps(listings(1)[0], ensure_ascii=False)
    f = write(tmp_path, "mixed.jsonl", good + "\n{not json\n" + json.dumps({**listings(1)[0], "price": "x"}) + "\n")
    path = render(tmp_path, f)
    open_page(browser, path)
    cells = browser.execute_script(
        "return Array.from(document.querySelectorAll('#invalid tbody tr')).map(tr => tr.cells[0].textContent + ' | '"
        " + tr.cells[2].textContent)")
    assert cells == [f"{f}:2 | not valid JSON: expected a key in double quotes (column 2)",
                     f'{f}:3 | listing.price: not a money amount: "x"']
    assert "invalid 2" in browser.find_element("id", "decisions").text
    assert console_errors(browser) == []
