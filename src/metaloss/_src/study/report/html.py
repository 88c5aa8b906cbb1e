"""report.html: one self-contained page that works offline.

The figures are embedded as base64 ``data:`` URIs, styles and the few lines of script
are inline, and nothing is fetched from anywhere. Figures take the full width and
open enlarged on a click (Escape or a click closes them). A table of contents links
every part. Text written Markdown-style in the sections (``x^0.33``, ```code```,
``*emphasis*``) is rendered as HTML, so no ``^`` or backtick shows literally.
"""

from __future__ import annotations

import base64
import html
import re
from pathlib import Path

from metaloss._src.study.report.contents import config_rows, headline, intro, slug, timing_rows

TITLE = "metaloss report: hyperparameter meta-loss landscapes"

_STYLE = """
body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;
color:#222;line-height:1.45}
nav{background:#f6f6f6;border:1px solid #ddd;padding:.5em 1.5em;margin:1em 0}
nav ol{margin:.3em 0;padding-left:1.3em}
table{border-collapse:collapse;margin:1em 0;font-size:.92em}
td,th{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f0f0f0}
table.key td:last-child{font-variant-numeric:tabular-nums;white-space:nowrap}
figure{margin:1.5em 0;width:100%}
figure img{width:100%;height:auto;cursor:zoom-in;border:1px solid #eee}
figcaption{font-size:.9em;color:#444;margin-top:.3em}
code{background:#f3f3f3;padding:0 .2em;font-size:.9em;word-break:break-all}
#lightbox{position:fixed;inset:0;background:rgba(0,0,0,.85);display:flex;
align-items:center;justify-content:center;cursor:zoom-out;z-index:10;overflow:auto}
#lightbox[hidden]{display:none}
#lightbox img{max-width:98vw;max-height:98vh;background:#fff}
"""

_SCRIPT = """
const box = document.getElementById('lightbox'), big = box.querySelector('img');
document.querySelectorAll('figure img').forEach(img => img.addEventListener('click', () => {
  big.src = img.src; big.alt = img.alt; box.hidden = false; }));
box.addEventListener('click', () => { box.hidden = true; });
document.addEventListener('keydown', e => { if (e.key === 'Escape') box.hidden = true; });
"""

_CODE = re.compile(r"`([^`]+)`")
_RULES = (
    (re.compile(r"\*\*(\S(?:[^*]*\S)?)\*\*"), r"<strong>\1</strong>"),
    (re.compile(r"(?<![\w*])\*(\S(?:[^*]*\S)?)\*(?![\w*])"), r"<em>\1</em>"),
    (re.compile(r"\^\{([^{}]*)\}"), r"<sup>\1</sup>"),
    (re.compile(r"\^\(([^()]*)\)"), r"<sup>\1</sup>"),
    (re.compile(r"\^([-+\u2212]?[\w.]*\w)"), r"<sup>\1</sup>"),
    (re.compile(r"\blog10\b"), r"log<sub>10</sub>"),
    (re.compile(r"\bsigma\b"), "\u03c3"),
)


def inline(text: str) -> str:
    """Escaped HTML of one line of report text, with its Markdown-style inline markup
    (code, strong, emphasis, ``^`` exponents, log10, sigma) rendered."""
    out, last = [], 0
    for m in _CODE.finditer(text):
        out.append(_markup(text[last:m.start()]))
        out.append(f"<code>{html.escape(m.group(1))}</code>")
        last = m.end()
    out.append(_markup(text[last:]))
    return "".join(out)


def _markup(text: str) -> str:
    s = html.escape(text, quote=False)
    for pattern, repl in _RULES:
        s = pattern.sub(repl, s)
    return s.replace("^", "&#8963;")  # a stray caret: drawn as the up-arrowhead, not a '^'


def _table(header, rows, cls: str = "", code_last: bool = False) -> str:
    head = "".join(f"<th>{inline(str(h))}</th>" for h in header)
    body = []
    for r in rows:
        cells = [inline(str(c)) for c in r[:-1]]
        last = str(r[-1]) if r else ""
        cells.append(f"<code>{html.escape(last)}</code>" if code_last else inline(last))
        body.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    attr = f" class='{cls}'" if cls else ""
    return f"<table{attr}><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _image(out: Path, name: str) -> str:
    path = out / name
    if not path.is_file():
        return html.escape(name)
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def render_html(rep) -> str:
    """The report as one HTML page with its figures embedded (see the module docstring)."""
    e = html.escape
    taken: set[str] = set()
    key = headline(rep.numbers)
    parts, toc = [], []

    def heading(title: str) -> str:
        anchor = slug(title, taken)
        toc.append(f"<li><a href='#{anchor}'>{inline(title)}</a></li>")
        return f"<h2 id='{anchor}'>{inline(title)}</h2>"

    all_id = "all-numbers"
    taken.add(all_id)
    parts += [heading("Key numbers"), _table(["quantity", "value"], key, "key"),
              f"<p>The {len(key)} numbers above lead; <a href='#{all_id}'>all "
              f"{len(rep.numbers)} numbers</a> follow the sections.</p>"]
    n_fig = 0
    for sec in rep.sections:
        parts.append(heading(sec.title))
        parts += [f"<p>{inline(p)}</p>" for p in sec.paragraphs]
        for name, cap in sec.figures:
            n_fig += 1
            parts.append(
                f"<figure id='{e(slug('figure ' + Path(name).stem, taken))}'>"
                f"<img src='{_image(rep.out, name)}' alt='Figure {n_fig}: {e(name)}' "
                f"data-file='{e(name)}' "
                f"title='click to enlarge'><figcaption><b>Figure {n_fig}</b> "
                f"({e(name)}). {inline(cap)}</figcaption></figure>")
        parts += [_table(h, r) for h, r in sec.tables]
    toc.append(f"<li><a href='#{all_id}'>All numbers</a></li>")
    parts += [f"<h2 id='{all_id}'>All numbers</h2>",
              _table(["quantity", "value"], rep.numbers, "key"),
              heading("Wall time per stage (s)"),
              _table(["stage", "seconds"], timing_rows(rep))]
    if rep.config:
        parts += [heading("Configuration"),
                  _table(["computation", "record"], config_rows(rep), code_last=True)]
    return "\n".join([
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>{e(TITLE)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{e(TITLE)}</h1>", f"<p>{inline(intro(rep))}</p>",
        "<nav><b>Contents</b><ol>" + "".join(toc) + "</ol></nav>",
        *parts,
        "<div id='lightbox' hidden><img alt=''></div>",
        f"<script>{_SCRIPT}</script>",
        "</body></html>",
    ])
