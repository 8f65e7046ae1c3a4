"""Trend charts as server-rendered SVG (pygal), readable without JavaScript.

pygal's SVG carries a config <script> and, by default, a <script href> to a CDN; we render with
`js=[]`, strip the remaining script and comments, and embed the SVG as a `data:` image. An image
never runs scripts, and the page's CSP (`img-src 'self' data:`; `style-src 'self'`) allows it while
the SVG's own <style> stays inside the image.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass

import pygal
from django.utils.translation import gettext as _
from pygal.style import Style

from helpdesk.dashboard.history import History

_SCRIPT = re.compile(r"<script\b[^>]*>.*?</script>|<script\b[^>]*/>", re.DOTALL | re.IGNORECASE)
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
FONT = '"Hiragino Sans","Noto Sans CJK JP","Noto Sans JP",Meiryo,"Yu Gothic",sans-serif'
STYLE = Style(
    background="#ffffff",
    plot_background="#ffffff",
    foreground="#1f2933",
    foreground_strong="#1f2933",
    foreground_subtle="#52606d",
    colors=("#a61b1b", "#c77700", "#2f6f62", "#3d5a80", "#7b2cbf"),
    font_family=FONT,
    title_font_family=FONT,
    label_font_family=FONT,
    major_label_font_family=FONT,
    legend_font_family=FONT,
    value_font_family=FONT,
    value_label_font_family=FONT,
    tooltip_font_family=FONT,
    no_data_font_family=FONT,
)


@dataclass(frozen=True)
class Chart:
    slug: str
    title: str
    data_uri: str


def _config() -> dict[str, object]:
    return {
        "js": [],  # no <script href> to a CDN
        "disable_xml_declaration": True,
        "style": STYLE,
        "width": 800,
        "height": 360,
        "legend_at_bottom": True,
        "show_minor_x_labels": True,
        "truncate_label": -1,
        "print_values": False,
        "no_data_text": _("No data"),
    }


def svg_clean(svg: str) -> str:
    return _COMMENT.sub("", _SCRIPT.sub("", svg))


def as_data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def _render(chart: pygal.graph.graph.Graph) -> str:
    return as_data_uri(svg_clean(chart.render(is_unicode=True)))


def trend_charts(history: History) -> list[Chart]:
    labels = [row.bucket.strftime("%m/%d") for row in history.trend]
    volume = pygal.StackedBar(title=_("Consultations"), **_config())
    volume.x_labels = labels
    volume.add(_("Urgent"), [row.urgent for row in history.trend])
    volume.add(_("High"), [row.high for row in history.trend])
    volume.add(_("Normal"), [row.normal for row in history.trend])

    minutes = pygal.Line(title=_("First response (min)"), **_config())
    minutes.x_labels = labels

    def to_minutes(value: float | None) -> float | None:
        return None if value is None else round(value / 60, 1)

    minutes.add("p50", [to_minutes(row.first_response.p50) for row in history.trend])
    minutes.add("p90", [to_minutes(row.first_response.p90) for row in history.trend])

    categories = pygal.HorizontalBar(title=_("By category"), **_config())
    for row in history.categories:
        categories.add(row.label, [row.consultations])

    compliance = pygal.Bar(title=_("Targets met (%)"), range=(0, 100), **_config())
    for sla in history.sla:
        compliance.add(sla.label, [sla.compliance])
    return [
        Chart("volume", _("Consultations"), _render(volume)),
        Chart("first-response", _("First response (min)"), _render(minutes)),
        Chart("categories", _("By category"), _render(categories)),
        Chart("sla", _("Targets met (%)"), _render(compliance)),
    ]
