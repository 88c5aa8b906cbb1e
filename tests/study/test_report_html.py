"""report.html: one offline file, key numbers and figures first, contents, math as text."""

import base64
import re
from html.parser import HTMLParser

import numpy as np
import pytest

from metaloss._src.plot import style as _style
from metaloss._src.study.report.document import Report
from metaloss._src.study.report.html import inline


class _Page(HTMLParser):
    """Text outside script/style, every id, every src/href, and start tags in order."""

    def __init__(self):
        super().__init__()
        self.text, self.ids, self.links, self.tags, self._skip = [], set(), [], [], 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        self._skip += tag in ("script", "style")
        if "id" in a:
            self.ids.add(a["id"])
        self.links += [(tag, k, v) for k, v in attrs if k in ("src", "href")]

    def handle_endtag(self, tag):
        self._skip -= tag in ("script", "style")

    def handle_data(self, data):
        if not self._skip:
            self.text.append(data)


@pytest.fixture
def page(tmp_path):
    rep = Report(tmp_path, quick=True)
    for i in range(30):
        rep.number(f"quantity {i}", float(i) / 7)
    rep.number("landscape minimum", 1.273)
    rep.number("gradient from (-2, -0.5): final true outer loss", 3.4)
    rep.number("MLP digits: validation accuracy at the best cell", 0.97)
    first = rep.section("Inner problem")
    first.paragraphs.append("The inner loss log(x^2 + 1 + sin 3x) + 1.5, see `meta.run` and "
                            "*both* minima; the critical lr scales as (1 - momentum)^0.33.")
    fig, ax = _style.new_figure(3, 2)
    ax.plot(np.arange(5))
    rep.figure(first, "curve.png", fig, "A curve over log10(lr), sigma 0.1.")
    second = rep.section("Estimators compared")
    second.tables.append((["estimator", "median"], [[f"e{i}", f"{i:.3f}"] for i in range(44)]))
    rep.figure(second, "panels.png", fig, "Panels.")
    rep.timings.update({"stage": 1.0, "total": 2.0})
    rep.config["study"] = {"steps": 50, "objective": "mean"}
    rep.write()
    html = (tmp_path / "report.html").read_text()
    parsed = _Page()
    parsed.feed(html)
    return html, parsed, (tmp_path / "report.md").read_text()


def test_one_file_that_works_offline(page):
    html, parsed, _ = page
    for _, _, value in parsed.links:  # in-page anchors and embedded images only
        assert value.startswith(("#", "data:image/png;base64,")), value[:60]
    assert "http://" not in html and "https://" not in html
    images = [v for tag, k, v in parsed.links if tag == "img" and v]
    assert len(images) == 2
    for src in images:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<script>" in html and "lightbox" in html  # click to enlarge, inline


def test_contents_link_every_part(page):
    _, parsed, _ = page
    anchors = [v[1:] for tag, k, v in parsed.links if tag == "a" and v.startswith("#")]
    assert len(anchors) >= 6 and all(a in parsed.ids for a in anchors)
    headings = [a.get("id") for tag, a in parsed.tags if tag == "h2"]
    assert set(headings) <= set(anchors) | {None} and None not in headings


def test_math_and_markup_rendered(page):
    html, parsed, _ = page
    text = "".join(parsed.text)
    assert "^" not in text and "`" not in text and "*both*" not in text
    assert "(1 - momentum)<sup>0.33</sup>" in html and "x<sup>2</sup>" in html
    assert "<code>meta.run</code>" in html and "<em>both</em>" in html
    assert "log<sub>10</sub>(lr), \u03c3 0.1" in html


def test_key_numbers_and_figures_before_large_tables(page):
    html, parsed, md = page
    tables = [m.start() for m in re.finditer("<table", html)]
    large = [t for t in tables if html[t:html.index("</table>", t)].count("<tr>") > 20]
    assert large, "the fixture has large tables"
    assert html.index("id='key-numbers'") < html.index("<figure") < large[0]
    key = html[html.index("id='key-numbers'"):html.index("</table>", tables[0])]
    assert key.count("<tr>") <= 17 and "landscape minimum" in key
    # within a section the figure comes before its table, in both renderings
    assert html.index("panels.png") < html.index(">e43<")
    assert md.index("(panels.png)") < md.index("| e43 |")
    assert md.index("## Key numbers") < md.index("(curve.png)") < md.index("## All numbers")
    assert md.count("| quantity 29 |") == 1


def test_inline_is_safe_and_leaves_plain_text():
    assert inline("a < b & c") == "a &lt; b &amp; c"
    assert inline("lr * momentum, 2 * 3") == "lr * momentum, 2 * 3"
    assert inline("`x^2 <b>`") == "<code>x^2 &lt;b&gt;</code>"
    assert inline("10^(-3) and e^{i}") == "10<sup>-3</sup> and e<sup>i</sup>"
