"""HTML (and rendered Markdown) to plain text: main content only, one line per block.

Why main-content extraction: a web page is mostly chrome (navigation, menus,
cookie banners, share buttons, footers), and every line of it that reaches the
index is a "sentence" a memo could end up citing.  We keep the rules simple and
deterministic instead of using a scoring extractor (readability/trafilatura):
prefer ``<main>`` / ``[role=main]`` / a single ``<article>``; always drop
``<nav>``, ``<aside>``, ``<form>``, the page's own ``<header>``/``<footer>`` and
elements whose id/class names them as chrome (cookie, menu, breadcrumb, ...).
A dropped element that holds the page's real content (a ``<form>`` wrapping an
ASP.NET page, a wrapper ``div class="has-sidebar"``) is kept: see
:func:`_holds_content`.  If filtering leaves nothing, the unfiltered text is
used, so a page never becomes unreadable because of these rules.

Tables become one line per row with cells joined by ``"; "``: rows stay
searchable, and :func:`briefer.textclean.evidence_problem` can tell them from
prose.  The parser is the stdlib-backed ``html.parser`` so the tree (hence the
text and its offsets) depends only on pinned pure-Python code.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from .formats import ExtractResult, SkipFile, clean_title, first_line, iso_date
from .limits import DEFAULT, check_depth, check_tags

_DROP = {"script", "style", "noscript", "template", "head", "title", "iframe",
         "object", "embed", "svg", "canvas", "math"}
_BLOCK = {"address", "article", "aside", "blockquote", "body", "caption", "dd",
          "details", "dialog", "div", "dl", "dt", "fieldset", "figcaption", "figure",
          "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr",
          "html", "li", "main", "nav", "ol", "p", "pre", "section", "summary",
          "table", "tbody", "tfoot", "thead", "tr", "ul"}
_CELL = {"td", "th"}
CELL_SEP = "; "
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_HTML_SPACE = re.compile(r"[ \t\n\r\f]+")
_BREAK = object()  # end-of-block marker on the walk stack
_DATE_META = ("date", "article:published_time", "dc.date", "dcterms.date",
              "pubdate", "publish-date", "datepublished")
# Page chrome: always dropped (unless it holds the content, see _holds_content).
_CHROME_TAGS = {"nav", "aside", "form"}
_CHROME_ROLES = {"navigation", "banner", "contentinfo", "complementary", "search"}
_CHROME_WORDS = ("cookie", "consent", "banner", "navbar", "menu", "breadcrumb", "footer",
                 "subscribe", "share", "social", "sidebar", "skiplink", "skip-link", "skip-to")
_NAME_TOKEN = re.compile(r"[a-z0-9]+(?:-(?:link|to))?")
_MARK_RUN = re.compile(r"\*\*+|__+")  # emphasis marks Markdown left unrendered


def _chrome_name(node: Any) -> bool:
    """Does the element's id/class say it is page chrome?  Tokens, not substrings.

    "site-footer", "cookieConsent", "mainmenu" match (a token starts or ends with
    a chrome word); "shareholder" or "menus-of-options" prose ids mostly do not.
    """
    classes = node.get("class") or []
    names = " ".join([str(node.get("id") or "")] + [str(c) for c in classes]).lower()
    for token in _NAME_TOKEN.findall(names):
        if any(token.startswith(w) or token.endswith(w) for w in _CHROME_WORDS):
            if not token.startswith(("shareholder", "shared")):
                return True
    return False


def _holds_content(node: Any) -> bool:
    """True if a chrome-looking element wraps the real content, so it must be walked."""
    if node.find(["main", "article"]) is not None or node.find(attrs={"role": "main"}):
        return True
    long_paragraphs = 0
    for p in node.find_all("p", limit=50):
        if len(p.get_text(" ", strip=True)) >= 80:
            long_paragraphs += 1
            if long_paragraphs >= 3:
                return True
    return False


def _is_chrome(node: Any, name: str, in_content: bool) -> bool:
    """Should this element (and everything in it) be left out of the text?"""
    role = str(node.get("role") or "").lower()
    chrome = (name in _CHROME_TAGS or role in _CHROME_ROLES or _chrome_name(node)
              or (name in ("header", "footer") and not in_content))
    return chrome and not _holds_content(node)


def visible_lines(root: Any, filter_chrome: bool = False, strip_marks: bool = False) -> list[str]:
    """Visible text of *root*, one line per block, whitespace collapsed as a browser does.

    Iterative walk (explicit stack) so a deeply nested page cannot hit the
    recursion limit.  Attributes are never read for text, so ``onerror=``,
    ``href="javascript:..."`` etc. cannot leak into the output.  With
    *filter_chrome*, page chrome is skipped (see module docstring); with
    *strip_marks*, literal ``**``/``__`` left by a Markdown renderer go.
    """
    from bs4 import NavigableString, Tag
    from bs4.element import PreformattedString  # comments, doctype, CDATA, PIs

    lines: list[str] = []
    line: list[str] = []

    def flush(keep_blank: bool = False) -> None:
        while line and (line[-1] == CELL_SEP or not line[-1].strip(" ")):
            line.pop()  # a row whose last cells were empty ends without a separator
        joined = "".join(line).rstrip(" ")  # leading spaces never get in outside <pre>
        if keep_blank or joined.strip():
            lines.append(joined)
        line.clear()

    # (node or _BREAK, inside <pre>, inside main/article content)
    stack: list[tuple[object, bool, bool]] = [(root, False, False)]
    while stack:
        node, in_pre, in_content = stack.pop()
        if node is _BREAK:  # identity: a text node may well read "BREAK"
            flush()
        elif isinstance(node, NavigableString):
            if not isinstance(node, PreformattedString):
                marks = strip_marks and getattr(node.parent, "name", "") != "code"
                _add_text(line, str(node), in_pre, marks, flush)
        elif isinstance(node, Tag):
            name = node.name.lower()
            if (name in _DROP or node.has_attr("hidden")
                    or _HIDDEN_STYLE.search(str(node.get("style", "")))
                    or (filter_chrome and _is_chrome(node, name, in_content))):
                continue
            if name == "br":
                flush(keep_blank=in_pre)
                continue
            if name == "sup" and _footnote_mark(node, "".join(line)):
                continue
            if name in _CELL and "".join(line).strip():
                line[-1] = line[-1].rstrip(" ")
                line.append(CELL_SEP)
            if name in _BLOCK:
                flush()
                stack.append((_BREAK, in_pre, in_content))
            child_pre = in_pre or name in ("pre", "textarea")
            child_content = in_content or name in ("main", "article")
            stack.extend((child, child_pre, child_content) for child in reversed(node.contents))
    flush()
    return lines


# A footnote mark is a short number or sign set above the line: "... by September 30, 2018.<sup><a
# href="20">20</a></sup> The E.O. ..." (OMB's M-16-19 page) read "2018.20 The E.O.", one sentence with the
# next and a figure that is not there.  An exponent or an ordinal ("10<sup>6</sup>", "2<sup>nd</sup>") is
# text: a mark is linked, or set after punctuation.
_MARK = re.compile(r"[\[(]?(?:\d{1,3}|[*\u2020\u2021\u00a7]{1,3})[\])]?")


def _footnote_mark(node: Any, before: str) -> bool:
    """Is this ``<sup>`` a footnote reference (left out of the text) rather than an exponent?"""
    if not _MARK.fullmatch(node.get_text("", strip=True)):
        return False
    return node.find("a") is not None or node.parent.name == "a" or before.rstrip()[-1:] in ".,;:)\"\u201d\u2019"


def _add_text(line: list[str], text: str, in_pre: bool, strip_marks: bool, flush: Any) -> None:
    """Append one text node to the current line (collapsing whitespace outside <pre>)."""
    text = text.replace("\xa0", " ")
    if in_pre:
        parts = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        for part in parts[:-1]:
            line.append(part)
            flush(keep_blank=True)
        line.append(parts[-1])
        return
    text = _HTML_SPACE.sub(" ", text)
    if strip_marks:
        text = _MARK_RUN.sub("", text)
    if text.startswith(" ") and (not line or line[-1].endswith(" ")):
        text = text[1:]
    if text:
        line.append(text)


def _content_root(soup: Any) -> Any:
    """<main>, else [role=main], else the only <article>, else the whole document."""
    main = soup.find("main") or soup.find(attrs={"role": "main"})
    if main is not None:
        return main
    articles = soup.find_all("article", limit=2)
    return articles[0] if len(articles) == 1 else soup


def html_text(soup: Any, strip_marks: bool = False, max_nesting: int = 0) -> str:
    """Main-content text of a parsed page, falling back to all visible text if that is empty.

    With ``max_nesting``, a tree deeper than that is refused first: the chrome
    filter looks into nested chrome-named elements, quadratic in the depth.
    """
    if max_nesting:
        check_depth(soup, max_nesting)
    text = "\n".join(visible_lines(_content_root(soup), True, strip_marks))
    if not text.strip():
        text = "\n".join(visible_lines(soup, False, strip_marks))
    return text


def extract_html(raw: bytes, max_nesting: int = DEFAULT.max_nesting) -> ExtractResult:
    """HTML via BeautifulSoup with the stdlib ``html.parser`` backend.

    Bytes are passed in so bs4 honours ``<meta charset>`` / BOMs.  Title: the
    ``<title>``, else the first ``<h1>``, else the first line.
    """
    from bs4 import BeautifulSoup

    # bs4 logs "Some characters could not be decoded" to stderr; the text shows U+FFFD instead.
    logging.getLogger("bs4").setLevel(logging.ERROR)
    check_tags(raw)
    soup = BeautifulSoup(raw, "html.parser")
    text = html_text(soup, max_nesting=max_nesting)
    if not text.strip():
        raise SkipFile("no visible text in HTML")
    title = None
    if soup.title is not None:
        title = soup.title.get_text(" ")
    if not clean_title(title):
        h1 = soup.find("h1")
        title = h1.get_text(" ") if h1 is not None else first_line(text)
    date = None
    for meta in soup.find_all("meta"):
        key = str(meta.get("name") or meta.get("property") or meta.get("itemprop") or "")
        if key.lower() in _DATE_META:
            date = iso_date(str(meta.get("content", "")))
            if date:
                break
    return text, title, date
