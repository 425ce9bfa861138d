"""IMPORT_FORMAT.md as the HTML of the back office's help page: one text for the
authorities, whether they read it in the repository or on the screen.

Renders only the Markdown that file uses (headings, paragraphs, lists, tables, code
blocks, `code`, **bold**): a handful of rules rather than a dependency. Everything is
escaped first; only the tags made here are HTML.
"""

import functools
import re
from pathlib import Path

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from levee.lib.text import fold

FORMAT_FILE = Path(__file__).resolve().parent.parent / "IMPORT_FORMAT.md"
INLINE_CODE = re.compile(r"`([^`]+)`")
BOLD = re.compile(r"\*\*(.+?)\*\*")


def anchor(title: str) -> str:
    """« Import des levées » → `import-des-levees`: the id of a section."""
    return fold(title).replace(" ", "-")


@functools.cache
def format_documentation() -> tuple[str, SafeString]:
    """The title (the `#` heading) and the rest as HTML, its `##` headings as <h2>."""
    lines = FORMAT_FILE.read_text(encoding="utf-8").splitlines()
    title = lines[0].lstrip("# ").strip()
    return title, mark_safe(_blocks(lines[1:]))  # noqa: S308 (escaped in _inline and below)


def _inline(text: str) -> str:
    html = escape(text)
    html = INLINE_CODE.sub(r"<code>\1</code>", html)
    return BOLD.sub(r"<strong>\1</strong>", html)


def _blocks(lines: list[str]) -> str:
    out, i = [], 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("```"):
            end = next((j for j in range(i + 1, len(lines)) if lines[j].startswith("```")), None)
            end = len(lines) if end is None else end
            # Focusable: a long example scrolls, and must scroll from the keyboard too.
            out.append(
                '<pre tabindex="0"><code>' + escape("\n".join(lines[i + 1 : end])) + "</code></pre>"
            )
            i = end + 1
        elif line.startswith("#"):
            level = len(line) - len(line.lstrip("#"))
            text = line[level:].strip()
            out.append(f'<h{level} id="{anchor(text)}">{_inline(text)}</h{level}>')
            i += 1
        elif line.startswith("|"):
            rows = []
            while i < len(lines) and lines[i].startswith("|"):
                rows.append([cell.strip() for cell in lines[i].strip().strip("|").split("|")])
                i += 1
            out.append(_table(rows))
        elif line.startswith("- "):
            items = []
            while i < len(lines) and (lines[i].startswith("- ") or lines[i].startswith("  ")):
                if lines[i].startswith("- "):
                    items.append(lines[i][2:].strip())
                else:
                    items[-1] += " " + lines[i].strip()
                i += 1
            out.append("<ul>" + "".join(f"<li>{_inline(item)}</li>" for item in items) + "</ul>")
        elif line.strip():
            paragraph = []
            while (
                i < len(lines)
                and lines[i].strip()
                and not lines[i].startswith(("#", "|", "- ", "```"))
            ):
                paragraph.append(lines[i].strip())
                i += 1
            out.append(f"<p>{_inline(' '.join(paragraph))}</p>")
        else:
            i += 1
    return "\n".join(out)


def _table(rows: list[list[str]]) -> str:
    header, body = rows[0], [r for r in rows[2:]]
    head = "".join(f'<th scope="col">{_inline(cell)}</th>' for cell in header)
    lines = "".join(
        "<tr>" + "".join(f"<td>{_inline(cell)}</td>" for cell in row) + "</tr>" for row in body
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{lines}</tbody></table>"
