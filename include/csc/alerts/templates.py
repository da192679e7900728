"""Alert e-mails as Jinja templates, beside the report templates: ``<package>/templates/<name>.txt.j2`` is the plain
text (its first line ``Subject: ...``, then a blank line, then the body) and ``<name>.html.j2``, when there is one,
the HTML alternative. The orchestration's alerts (run failed, run late, extract missing) live in
``csc/alerts/templates``; the data-quality alerts beside the data-quality report in ``csc/quality/templates``.

The code that sends an alert only gathers the facts; the wording is in the templates.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import jinja2


@dataclass(frozen=True)
class RenderedAlert:
    subject: str
    text: str
    html: str | None = None


@cache
def _environment(package: str) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader(package, "templates"), undefined=jinja2.StrictUndefined,
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default_for_string=False, default=False),
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False)


def render_alert(name: str, package: str = "csc.alerts", **context: Any) -> RenderedAlert:
    """The alert ``name`` of ``package``'s templates, rendered with ``context``."""
    env = _environment(package)
    rendered = env.get_template(f"{name}.txt.j2").render(**context)
    head, _, body = rendered.partition("\n\n")
    if not head.startswith("Subject: ") or "\n" in head:
        raise ValueError(f"alert template {package}/templates/{name}.txt.j2 must start with one 'Subject: ' line "
                         "and a blank line")
    try:
        html_template = env.get_template(f"{name}.html.j2")
    except jinja2.TemplateNotFound:
        html = None
    else:
        html = html_template.render(**context)
    return RenderedAlert(subject=head.removeprefix("Subject: ").strip(), text=body, html=html)
