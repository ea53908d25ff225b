"""One self-contained HTML page: sections of text, tables and interactive charts, no network.

Charts are Plotly figures; plotly.js is embedded once in the page, so the file opens offline in
any browser (and in headless Chromium for the tests).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; color: #1f2933;
       background: #f5f7fa; }
header { background: #1f3a5f; color: white; padding: 24px 40px; }
header h1 { margin: 0 0 6px 0; font-size: 26px; }
header p { margin: 0; opacity: 0.85; }
nav { padding: 10px 40px; background: #e4e9f0; font-size: 14px; }
nav a { margin-right: 16px; color: #1f3a5f; text-decoration: none; }
main { padding: 8px 40px 40px 40px; max-width: 1300px; }
section { background: white; border-radius: 8px; padding: 18px 24px; margin: 18px 0;
          box-shadow: 0 1px 3px rgba(0,0,0,0.08); }
section h2 { margin-top: 0; font-size: 20px; color: #1f3a5f; }
.lead { color: #52606d; margin-top: -6px; }
.kpis { display: flex; flex-wrap: wrap; gap: 14px; }
.kpi { background: #f0f4f8; border-radius: 6px; padding: 10px 16px; min-width: 140px; }
.kpi b { display: block; font-size: 22px; color: #1f3a5f; }
.kpi span { font-size: 13px; color: #52606d; }
table { border-collapse: collapse; font-size: 13px; margin: 10px 0; }
th, td { padding: 5px 10px; border-bottom: 1px solid #e4e7eb; text-align: left; vertical-align: top; }
th { background: #f0f4f8; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.missing { color: #8a6d3b; background: #fcf8e3; padding: 8px 12px; border-radius: 4px; }
.note { font-size: 13px; color: #52606d; }
.baseline { color: #7b341e; background: #fdecea; padding: 8px 12px; border-radius: 4px; }
.grid { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 12px; }
.grid > div { min-width: 0; }
@media (max-width: 1100px) { .grid { grid-template-columns: minmax(0, 1fr); } }
"""

# Plotly sizes a chart to its container when the chart's script runs, before the page is laid out
# whole (a chart in a grid is drawn while it is still the grid's only child, at double width, and is then
# clipped); so every chart is resized to its container once the page has loaded, and whenever that
# container changes size.
RESIZE = """
window.addEventListener("load", function () {
  var charts = document.querySelectorAll(".plotly-graph-div");
  var observer = new ResizeObserver(function (entries) {
    entries.forEach(function (entry) { Plotly.Plots.resize(entry.target); });
  });
  charts.forEach(function (chart) { Plotly.Plots.resize(chart); observer.observe(chart); });
});
"""


def plain(value: Any) -> Any:
    """A data string as Plotly should show it: literally. Plotly renders text it draws (hover labels, tick
    labels, legend names, titles, annotations) as HTML-like markup — ``<a href>`` becomes a live link —
    so every string from the data goes through here; anything else (numbers, dates) is returned as is.

    >>> plain('<a href="https://evil.example">x</a> & co')
    '&lt;a href="https://evil.example"&gt;x&lt;/a&gt; &amp; co'
    """
    return html.escape(value, quote=False) if isinstance(value, str) else value


def plain_all(values: Sequence[Any]) -> list[Any]:
    """:func:`plain` of every value."""
    return [plain(v) for v in values]


@dataclass
class Section:
    """A titled part of the report: HTML blocks in order (text, tables, charts)."""

    anchor: str
    title: str
    lead: str = ""
    blocks: list[str] = field(default_factory=list)

    def text(self, paragraph: str, css: str = "note") -> None:
        """Add a paragraph (escaped)."""
        self.blocks.append(f'<p class="{css}">{html.escape(paragraph)}</p>')

    def missing(self, why: str) -> None:
        """Say what is not available yet and how to get it."""
        self.blocks.append(f'<p class="missing">{html.escape(why)}</p>')

    def kpis(self, figures: Sequence[tuple[str, str]]) -> None:
        """Headline figures: (value, label) pairs."""
        cells = "".join(f'<div class="kpi"><b>{html.escape(v)}</b><span>{html.escape(k)}</span></div>'
                        for v, k in figures)
        self.blocks.append(f'<div class="kpis">{cells}</div>')

    def table(self, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        """A table; numbers are right-aligned and formatted."""
        head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
        body = "".join("<tr>" + "".join(_cell(v) for v in row) + "</tr>" for row in rows)
        self.blocks.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")

    def chart(self, figure: Any, height: int = 420) -> None:
        """A Plotly figure (plotly.js is embedded once by the page)."""
        figure.update_layout(height=height, margin={"l": 50, "r": 20, "t": 40, "b": 40}, template="plotly_white")
        self.blocks.append(figure.to_html(full_html=False, include_plotlyjs=False,
                                          config={"displaylogo": False, "responsive": True}))

    def charts(self, figures: Sequence[Any], height: int = 380) -> None:
        """Figures side by side."""
        start = len(self.blocks)
        for figure in figures:
            self.chart(figure, height)
        inner = "".join(self.blocks[start:])
        del self.blocks[start:]
        self.blocks.append(f'<div class="grid">{inner}</div>')


def _cell(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return f"<td>{'' if value is None else html.escape(str(value))}</td>"
    if isinstance(value, int):
        return f'<td class="num">{value:,}</td>'
    if isinstance(value, float):
        text = f"{value:,.0f}" if abs(value) >= 1000 else f"{value:,.3g}" if abs(value) < 1 else f"{value:,.2f}"
        return f'<td class="num">{text}</td>'
    return f"<td>{html.escape(str(value))}</td>"


def render(title: str, subtitle: str, sections: Sequence[Section]) -> str:
    """The whole page as one HTML string (plotly.js inline)."""
    from plotly.offline import get_plotlyjs

    made = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    nav = "".join(f'<a href="#{s.anchor}">{html.escape(s.title)}</a>' for s in sections)
    body = "".join(
        f'<section id="{s.anchor}"><h2>{html.escape(s.title)}</h2>'
        + (f'<p class="lead">{html.escape(s.lead)}</p>' if s.lead else "")
        + "".join(s.blocks) + "</section>"
        for s in sections
    )
    return (
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{html.escape(title)}</title><style>{CSS}</style>"
        f"<script>{get_plotlyjs()}</script></head><body>"
        f"<header><h1>{html.escape(title)}</h1><p>{html.escape(subtitle)} · made {made} by marketsql</p></header>"
        f"<nav>{nav}</nav><main>{body}</main><script>{RESIZE}</script></body></html>"
    )
