"""``report.html``: the document's coverage as an operation x status matrix.

One self-contained page (no scripts, no external assets) that a CI artifact viewer can show;
every value that comes from the spec or the run is escaped.
"""

from __future__ import annotations

import html

from pytest_antimetal.contract.coverage import COVERAGE_DEFINITION, CoverageReport
from pytest_antimetal.contract.report_context import ReportContext

__all__ = ["coverage_html"]

_HTML_STYLE = """
body { font: 14px system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: center; }
th.op, td.op { text-align: left; font-family: monospace; white-space: nowrap; }
td.seen { background: #c8f0c8; }
td.never { background: #f6c6c6; font-weight: bold; }
td.extra { background: #ffe0a0; }
td.none { background: #f2f2f2; color: #aaa; }
.legend span { padding: 2px 8px; margin-right: 6px; }
li { font-family: monospace; }
"""


def _status_order(key: str) -> tuple[int, str]:
    return (int(key), key) if key.isdigit() else (int(key[0]) * 100 + 99, key)


def coverage_html(
    coverage: CoverageReport, context: ReportContext, minimum: float | None = None
) -> str:
    """report.html: the document's coverage as an operation x status matrix, one page, no
    scripts or external assets; every value from the spec or the run is escaped."""
    e = html.escape
    keys: set[str] = set()
    for op in coverage.operations:
        keys.update(op.model.statuses)
        keys.update(str(s) for s in op.undocumented)
    columns = sorted(keys, key=_status_order)
    gate = ""
    if minimum is not None:
        verdict = "passed" if coverage.meets(minimum) else "FAILED"
        gate = f" Gate (--antimetal-coverage-min): {e(f'{minimum:g}')}% - {verdict}."
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        "<title>antimetal contract: coverage</title>",
        f"<style>{_HTML_STYLE}</style></head><body>",
        f"<h1>Coverage of the document: {e(coverage.shown_percent())}</h1>",
        f"<p>Target <code>{e(context.target)}</code>, seed <code>{context.seed}</code>, spec "
        f"sha256 <code>{e(context.spec_sha256[:12])}</code>. {coverage.covered} of "
        f"{coverage.declared} counted: {e(COVERAGE_DEFINITION)}.{gate}</p>",
        '<p class="legend"><span class="seen" style="background:#c8f0c8">n: seen n times'
        '</span><span style="background:#f6c6c6">never seen (documented)</span>'
        '<span style="background:#ffe0a0">seen, not documented</span>'
        '<span style="background:#f2f2f2">not documented</span></p>',
        '<table><thead><tr><th class="op">operation</th><th>requests</th>',
        *(f"<th>{e(c)}</th>" for c in columns),
        "<th>parameters</th><th>enum values</th><th>boundary values</th></tr></thead><tbody>",
    ]
    for op in coverage.operations:
        cells = [f'<tr><td class="op">{e(op.label)}</td><td>{op.sent}</td>']
        for column in columns:
            extra = op.undocumented.get(int(column)) if column.isdigit() else None
            if column in op.seen:
                cells.append(f'<td class="seen">{op.seen[column]}</td>')
            elif column in op.model.statuses:
                cells.append('<td class="never" title="never seen">&#x2717;</td>')
            elif extra:
                cells.append(f'<td class="extra" title="not documented">{extra}</td>')
            else:
                cells.append('<td class="none">&ndash;</td>')
        enums, bounds = op.enum_counts(), op.bound_counts()
        cells.append(
            f"<td>{len(op.parameters)}/{len(op.model.parameters)}</td>"
            f"<td>{enums[0]}/{enums[1]}</td><td>{bounds[0]}/{bounds[1]}</td></tr>"
        )
        out.append("".join(cells))
    out.append("</tbody></table>")
    missing = list(coverage.never_exercised())
    out.append(f"<h2>Never exercised ({len(missing)})</h2><ul>")
    out += [f"<li>{e(line)}</li>" for line in missing]
    out.append("</ul><h2>Parameters, enum and boundary values</h2><ul>")
    for op in coverage.operations:
        details = op.as_dict()
        for name in op.model.parameters:
            state = "sent" if name in op.parameters else "never sent"
            out.append(f"<li>{e(op.label)} {e(name)}: {state}</li>")
        for kind in ("enum_values", "boundary_values"):
            for location, values in details[kind].items():
                sent = set(values["sent"])
                shown = ", ".join(
                    e(v) if v in sent else f"<s>{e(v)}</s>" for v in values["declared"]
                )
                what = kind.replace("_", " ")
                out.append(f"<li>{e(op.label)} {e(location)} {what}: {shown}</li>")
    if coverage.undocumented:
        out.append("</ul><h2>Requests to no documented operation</h2><ul>")
        out += [f"<li>{e(k)}: {v}</li>" for k, v in sorted(coverage.undocumented.items())]
    out.append("</ul><p>Struck-through values were never sent.</p></body></html>")
    return "\n".join(out) + "\n"
