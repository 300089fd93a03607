"""Stage 6: turn a JSON record into the Markdown and HTML memo.

Rendering reads nothing but the record and the templates (no model, no
index), so an analyst editing a template re-renders in about a second and an
unchanged record renders byte-for-byte the same memo.

Templates load from the analyst's folder first, then the shipped
``templates/``; ``StrictUndefined`` turns a typo into an error instead of an
empty string, HTML is autoescaped (corpus text is data, never markup), and
every template error names its file and line.
"""

from __future__ import annotations

import re
import sys
import traceback
from collections import Counter
from pathlib import Path

import jinja2
import markdown as markdown_lib
from markupsafe import Markup, escape

from .errors import TemplateError
from .fsutil import atomic_write_files
from .ownref import opens_on_its_kind, speaks_of_its_document

FORMATS = {"md": "memo.md.j2", "html": "memo.html.j2"}


def default_template_dir() -> Path:
    """Shipped templates: the repo's ``templates/`` (editable install) or the installed data copy."""
    here = Path(__file__).resolve().parent.parent / "templates"
    if here.is_dir():
        return here
    return Path(sys.prefix) / "share" / "briefer" / "templates"


def template_dirs(user_dir: Path | None) -> list[Path]:
    dirs = [Path(user_dir)] if user_dir else []
    return dirs + [default_template_dir()]


_IMG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
_HREF = re.compile(r'href="([^"]*)"', re.IGNORECASE)
_SAFE_SCHEME = re.compile(r"^(?:https?:|mailto:|#)", re.IGNORECASE)


def _markdown_filter(text: str) -> Markup:
    """Analyst-written Markdown (topic descriptions) -> HTML.

    Raw HTML is escaped before conversion; afterwards images are removed (the
    memo loads no external resource) and link targets other than http(s),
    mailto and in-page anchors (``javascript:``, ``data:``…) are neutralised.
    """
    html = markdown_lib.markdown(str(escape(text)))
    html = _IMG.sub("", html)
    html = _HREF.sub(lambda m: m.group(0) if _SAFE_SCHEME.match(m.group(1).strip()) else 'href="#"', html)
    return Markup(html)


def make_env(user_dir: Path | None, *, html: bool) -> jinja2.Environment:
    loader = jinja2.ChoiceLoader([jinja2.FileSystemLoader(str(d)) for d in template_dirs(user_dir)])
    env = jinja2.Environment(
        loader=loader,
        undefined=jinja2.StrictUndefined,
        autoescape=html,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["markdown"] = _markdown_filter
    env.globals["sentence_label"] = sentence_label
    env.globals["quote_attribution"] = quote_attribution
    env.globals["sentence_labels"] = SENTENCE_LABELS
    return env


def _template_location(exc: BaseException, user_dir: Path | None) -> str:
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return f"{exc.filename or exc.name}:{exc.lineno}"
    dirs = [str(d.resolve()) for d in template_dirs(user_dir)]
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        name = str(Path(frame.filename).resolve()) if frame.filename and not frame.filename.startswith("<") else ""
        if name and any(name.startswith(d) for d in dirs):
            return f"{frame.filename}:{frame.lineno}"
    return "template"


#: The three ways a memo sentence is shown, in display order; the one definition that the
#: Markdown and HTML templates (``sentence_label`` / ``summary``), `briefer review` and the
#: evaluation share, so every count of "supported" means the same thing.
SENTENCE_LABELS = ("supported", "extracted", "unsupported")


def sentence_label(sentence: dict) -> str:
    """``unsupported`` if it failed verification; else ``extracted`` if quoted verbatim from a
    source (the extractive fallback); else ``supported`` (the model's own words, verified)."""
    if sentence.get("status", "supported") == "unsupported":
        return "unsupported"
    return "extracted" if sentence.get("origin", "model") == "extracted" else "supported"


# A title fit to name a document in running text: not cut short ("In recent years, the United
# States government…", a first line taken as the title) and not OCR debris ("C.') benecurit, and
# lnfrastructur<' Srcurit, Agenc)", a scanned letterhead).
_NAMEABLE_TITLE = re.compile(r"[\w\s.,:;'\u2019&/()\u2013\u2014-]{3,100}")


def quote_attribution(sentence: dict, sources: dict) -> str:
    """The document a quoted sentence comes from, to show before it, when the quote calls it "this
    directive" or "this guidance" (:func:`briefer.ownref.speaks_of_its_document`) or opens on "The
    plan", "The Department" that its title names (:func:`briefer.ownref.opens_on_its_kind`); else "".

    The quote stays exact; the name is the memo's words, outside the quotation marks.  Without it
    "… to ensure compliance with this Directive." leaves the reader asking which directive."""
    if sentence.get("origin") != "extracted":
        return ""
    cited = [sources[c] for c in sentence.get("citations", []) if c in sources]
    title = " ".join(str(cited[0].get("title") or "").split()) if cited else ""
    if not _NAMEABLE_TITLE.fullmatch(title) or title.count("(") != title.count(")"):
        return ""
    text = sentence.get("text", "")
    return title if speaks_of_its_document(text) or opens_on_its_kind(text, title) else ""


def summarize(record: dict) -> dict:
    """Counts shown in the memo's summary (Markdown line and HTML box alike).

    ``supported``, ``extracted`` and ``unsupported`` are the :func:`sentence_label`
    counts and add up to ``sentences``; ``verified`` = supported + extracted."""
    labels: Counter[str] = Counter(sentence_label(s) for sec in record["sections"] for s in sec["sentences"])
    counts = {name: labels[name] for name in SENTENCE_LABELS}
    return {
        "sentences": sum(labels.values()),
        **counts,
        "verified": counts["supported"] + counts["extracted"],
        "model": sum(1 for sec in record["sections"] for s in sec["sentences"] if s.get("origin", "model") != "extracted"),
        "refused": sum(1 for s in record["sections"] if s.get("status") == "not_covered"),
        "sources": len(record["sources"]),
    }


def compile_template(fmt: str, user_dir: Path | None = None) -> None:
    """Load (and so syntax-check) a format's template without rendering it."""
    env = make_env(user_dir, html=(fmt == "html"))
    try:
        env.get_template(FORMATS[fmt])
    except jinja2.TemplateNotFound as exc:
        raise TemplateError(f"Template {exc.name} not found in {', '.join(map(str, template_dirs(user_dir)))}.") from None
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(f"Template syntax error at {_template_location(exc, user_dir)}: {exc.message}") from None


def render_one(record: dict, fmt: str, *, user_dir: Path | None = None, review: bool = False) -> str:
    if fmt not in FORMATS:
        raise TemplateError(f"Unknown format {fmt!r}; choose from {', '.join(FORMATS)}.")
    env = make_env(user_dir, html=(fmt == "html"))
    try:
        template = env.get_template(FORMATS[fmt])
        return template.render(
            record=record,
            sources={s["id"]: s for s in record["sources"]},
            summary=summarize(record),
            review=review,
        )
    except jinja2.TemplateNotFound as exc:
        raise TemplateError(f"Template {exc.name} not found in {', '.join(map(str, template_dirs(user_dir)))}.") from None
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(f"Template syntax error at {_template_location(exc, user_dir)}: {exc.message}") from None
    except jinja2.UndefinedError as exc:
        raise TemplateError(f"Template error at {_template_location(exc, user_dir)}: {exc.message}") from None
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        raise TemplateError(f"Template error at {_template_location(exc, user_dir)}: {exc}") from None


def output_name(topic: str, fmt: str, *, review: bool = False) -> str:
    """``<topic>.<fmt>``, or ``<topic>.review.<fmt>`` for the review copy, which so never
    replaces the clean memo."""
    return f"{topic}.review.{fmt}" if review else f"{topic}.{fmt}"


def render_files(record: dict, out_dir: Path, formats: list[str], *, user_dir: Path | None = None,
                 review: bool = False) -> list[Path]:
    """Render every format first, then write: a template error leaves old files untouched."""
    rendered = {Path(out_dir) / output_name(record["topic"], fmt, review=review):
                render_one(record, fmt, user_dir=user_dir, review=review) for fmt in formats}
    atomic_write_files(rendered)  # all or nothing, like generate
    return list(rendered)
