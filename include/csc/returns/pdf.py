"""``report.pdf``: the same report for printing and e-mailing, drawn with ReportLab (pure Python, its own Vera fonts,
vector charts from the same geometry as the HTML). HTML-to-PDF converters were ruled out: WeasyPrint needs the
system's Pango, a headless browser is a system package the runtime cannot count on, and xhtml2pdf cannot draw SVG
without Cairo. ReportLab needs nothing outside the virtual environment and fetches nothing at run time."""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.graphics.shapes import Circle, Drawing, Line, PolyLine, Rect, String
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from csc.returns.charts import LINE_COLOUR, TARGET_COLOUR, BarChart, TrendChart
from csc.returns.formatting import format_cell
from csc.returns.report import ReportView
from csc.returns.tables import Table as ReturnTable

FONT, BOLD = "Vera", "Vera-Bold"
RAG_COLOURS = {"Red": (colors.HexColor("#d4351c"), colors.white), "Amber": (colors.HexColor("#f47738"), colors.black),
               "Green": (colors.HexColor("#00703c"), colors.white)}
NUMERIC_KINDS = ("count", "number", "fte", "ratio", "measure", "change")
PAGE = landscape(A4)
MARGIN = 14 * mm


def _register_fonts() -> None:
    """Vera ships inside ReportLab: Unicode text without relying on fonts installed on the machine."""
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT, "Vera.ttf"))
        pdfmetrics.registerFont(TTFont(BOLD, "VeraBd.ttf"))


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("body", fontName=FONT, fontSize=8.5, leading=10.5)
    return {
        "body": base,
        "cell": ParagraphStyle("cell", parent=base, fontSize=7, leading=8.5),
        "cell_num": ParagraphStyle("cell_num", parent=base, fontSize=7, leading=8.5, alignment=TA_RIGHT),
        "head": ParagraphStyle("head", parent=base, fontName=BOLD, fontSize=7, leading=8.5),
        "title": ParagraphStyle("title", parent=base, fontName=BOLD, fontSize=18, leading=22, spaceAfter=4),
        "h2": ParagraphStyle("h2", parent=base, fontName=BOLD, fontSize=13, leading=16, spaceBefore=10, spaceAfter=4),
        "h3": ParagraphStyle("h3", parent=base, fontName=BOLD, fontSize=9, leading=11, spaceBefore=4, spaceAfter=3),
        "note": ParagraphStyle("note", parent=base, fontSize=7.5, leading=9, textColor=colors.HexColor("#505a5f")),
        "notice": ParagraphStyle("notice", parent=base, fontName=BOLD, backColor=colors.HexColor("#fff7e6"),
                                 borderPadding=4, spaceBefore=4, spaceAfter=6),
    }


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text), style)


def _table(t: ReturnTable, styles: dict[str, ParagraphStyle], width: float) -> list:
    weights = [c.width for c in t.columns]
    col_widths = [width * w / sum(weights) for w in weights]
    data = [[_p(c.heading, styles["head"]) for c in t.columns]]
    for r, cells in enumerate(t.rows):
        data.append([_p(format_cell(cell, c.kind, t.row_units[r]),
                        styles["cell_num"] if c.kind in NUMERIC_KINDS else styles["cell"])
                     for cell, c in zip(cells, t.columns, strict=True)])
    if not t.rows:
        data.append([_p("None.", styles["cell"])] + [""] * (len(t.columns) - 1))
    commands: list[tuple] = [
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f3f2f1")),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#b1b4b6")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 2), ("RIGHTPADDING", (0, 0), (-1, -1), 2),
    ]
    for (r, col), rag in t.rag_cells.items():
        background, foreground = RAG_COLOURS.get(rag, (None, None))
        if background is not None:
            commands.append(("BACKGROUND", (col, r + 1), (col, r + 1), background))
            data[r + 1][col] = Paragraph(escape(str(t.rows[r][col]) if t.columns[col].kind == "rag"
                                                else format_cell(t.rows[r][col], t.columns[col].kind, t.row_units[r])),
                                         ParagraphStyle("rag", parent=styles["cell_num"], textColor=foreground,
                                                        fontName=BOLD))
    table = Table(data, colWidths=col_widths, repeatRows=1)
    table.setStyle(TableStyle(commands))
    flow: list = [_p(t.title, styles["h3"]), table]
    flow += [_p(note, styles["note"]) for note in t.notes]
    return flow


def _trend_drawing(ch: TrendChart, scale: float) -> Drawing:
    drawing = Drawing(ch.width * scale, ch.height * scale + 14)

    def at(x: float, y: float) -> tuple[float, float]:
        return x * scale, (ch.height - y) * scale

    drawing.add(String(0, ch.height * scale + 3, ch.title, fontName=BOLD, fontSize=8.5))
    for tick in ch.y_ticks:
        drawing.add(Line(*at(ch.plot_left, tick.position), *at(ch.plot_right, tick.position),
                         strokeColor=colors.HexColor("#e5e6e7"), strokeWidth=0.6))
        x, y = at(ch.plot_left - 4, tick.position + 3)
        drawing.add(String(x, y, tick.label, fontName=FONT, fontSize=6.5, textAnchor="end",
                           fillColor=colors.HexColor("#505a5f")))
    for tick in ch.x_ticks:
        for line, text in enumerate((tick.label, tick.sublabel)):
            x, y = at(tick.position, ch.plot_bottom + 13)
            drawing.add(String(x, y - 8 * line, text, fontName=FONT, fontSize=6, textAnchor="middle",
                               fillColor=colors.HexColor("#505a5f")))
    for tick in ch.gaps:
        x, y = at(tick.position, ch.plot_bottom - 4)
        drawing.add(String(x, y, tick.label, fontName=FONT, fontSize=6, textAnchor="middle"))
    for segment in ch.target_segments:
        drawing.add(PolyLine([c for x, y in segment for c in at(x, y)], strokeColor=colors.HexColor(TARGET_COLOUR),
                             strokeWidth=1, strokeDashArray=[4, 3]))
    for segment in ch.segments:
        drawing.add(PolyLine([c for x, y in segment for c in at(x, y)], strokeColor=colors.HexColor(LINE_COLOUR),
                             strokeWidth=1.8))
    for point in ch.points:
        drawing.add(Circle(*at(point.x, point.y), 3 * scale, fillColor=colors.HexColor(point.fill),
                           strokeColor=colors.white, strokeWidth=0.5))
    drawing.add(Line(*at(ch.plot_left, ch.plot_bottom), *at(ch.plot_right, ch.plot_bottom),
                     strokeColor=colors.HexColor("#505a5f"), strokeWidth=0.6))
    return drawing


def _bar_drawing(ch: BarChart, scale: float) -> Drawing:
    drawing = Drawing(ch.width * scale, ch.height * scale)
    for bar in ch.bars:
        top = (ch.height - bar.y) * scale
        drawing.add(String(ch.label_width * scale, top - 11 * scale, bar.label, fontName=FONT, fontSize=7,
                           textAnchor="end"))
        if bar.width:
            drawing.add(Rect(ch.bar_left * scale, top - ch.bar_height * scale, bar.width * scale,
                             ch.bar_height * scale, fillColor=colors.HexColor(LINE_COLOUR), strokeColor=None))
        drawing.add(String((ch.bar_left + bar.width + 4) * scale, top - 11 * scale, bar.value_label, fontName=FONT,
                           fontSize=7))
    if ch.target_x is not None:
        drawing.add(Line(ch.target_x * scale, 0, ch.target_x * scale, ch.height * scale,
                         strokeColor=colors.HexColor(TARGET_COLOUR), strokeWidth=1, strokeDashArray=[4, 3]))
    return drawing


def _headlines(view: ReportView, styles: dict[str, ParagraphStyle], width: float) -> list:
    head = ["Indicator", "This quarter", "Target", "RAG", "Previous quarter", "Change", "Direction of good"]
    data = [[_p(h, styles["head"]) for h in head]]
    commands: list[tuple] = [("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f3f2f1")),
                             ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#b1b4b6")),
                             ("VALIGN", (0, 0), (-1, -1), "TOP")]
    for r, h in enumerate(view.headlines, start=1):
        change = h.change + (f" ({h.tone})" if h.tone in ("better", "worse") else "")
        data.append([_p(h.indicator.name, styles["cell"]), _p(h.value, styles["cell_num"]),
                     _p(h.target or "no target", styles["cell_num"]), _p(h.rag or "", styles["cell"]),
                     _p(h.previous, styles["cell_num"]), _p(change, styles["cell_num"]),
                     _p(h.indicator.direction_of_good, styles["cell"])])
        if h.rag in RAG_COLOURS:
            background, foreground = RAG_COLOURS[h.rag]
            commands.append(("BACKGROUND", (3, r), (3, r), background))
            data[r][3] = Paragraph(escape(h.rag), ParagraphStyle("rag", parent=styles["cell"], textColor=foreground,
                                                                  fontName=BOLD))
    widths = [0.34, 0.1, 0.1, 0.08, 0.12, 0.12, 0.14]
    table = Table(data, colWidths=[width * w for w in widths], repeatRows=1)
    table.setStyle(TableStyle(commands))
    flow: list = [_p("Headline figures", styles["h2"]), table]
    if view.dq_pass_rate:
        flow.append(_p(f"Records passing every data-quality check at quarter end: {view.dq_pass_rate}.",
                       styles["note"]))
    return flow


def write_pdf(view: ReportView, path: Path) -> None:
    _register_fonts()
    styles = _styles()
    width = PAGE[0] - 2 * MARGIN
    document = SimpleDocTemplate(str(path), pagesize=PAGE, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
                                 bottomMargin=MARGIN, title=view.title, subject=view.subtitle, author="csc-pipeline",
                                 creator=f"csc-pipeline {view.version}", invariant=True)
    story: list = [_p(view.title, styles["title"]), _p(view.subtitle, styles["body"])]
    if view.notice:
        story.append(_p(view.notice, styles["notice"]))
    story += _headlines(view, styles, width)
    charts_per_row = 2
    scale = min(1.0, (width / charts_per_row - 6) / max((c.width for c in view.charts), default=1))
    rows = [view.charts[k:k + charts_per_row] for k in range(0, len(view.charts), charts_per_row)]
    for k, row in enumerate(rows):
        cells = [_trend_drawing(ch, scale) for ch in row] + [""] * (charts_per_row - len(row))
        heading = [_p("Trends against targets", styles["h2"])] if k == 0 else []
        story.append(KeepTogether(heading + [Table([cells], colWidths=[width / charts_per_row] * charts_per_row),
                                             Spacer(1, 4)]))
    story.append(_p("Teams: unallocated children, backlogs and caseloads", styles["h2"]))
    for chart in view.team_charts:
        story.append(KeepTogether([_p(chart.title + (f" ({chart.target_label})" if chart.target_label else ""),
                                      styles["h3"]), _bar_drawing(chart, min(1.0, width / chart.width))]))
    story += _table(view.teams, styles, width)
    for heading, table, share in [("Data quality", view.data_quality, 1.0), ("All indicators", view.indicators, 1.0),
                                  ("Definitions", view.definitions, 1.0), ("Provenance", view.provenance, 0.6)]:
        story.append(_p(heading, styles["h2"]))
        story += _table(table, styles, width * share)

    def footer(canvas, doc) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 7)
        canvas.setFillColor(colors.HexColor("#505a5f"))
        canvas.drawString(MARGIN, MARGIN / 2, view.title)
        canvas.drawRightString(PAGE[0] - MARGIN, MARGIN / 2, f"page {doc.page}")
        canvas.restoreState()

    document.build(story, onFirstPage=footer, onLaterPages=footer)
