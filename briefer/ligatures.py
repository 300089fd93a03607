"""Ligatures in text extracted from PDFs: spelled out, and restored where the font lost them.

pypdf gives some ligatures as their Unicode presentation forms ("Modification" with U+FB01), which
neither search nor the verifier matches to "modification".  Fonts without a mapping for
"ff"/"ffi" lose them altogether: a NUL ("o\\x00icial" in EPA's Environmental Justice
Scorecard) or "!" ("e!icient", "Tra!ic" in DOT's), and "ft" as a double quote ("a\\"er",
"swi\\"ly") -- both browser prints of a web page (bench/eval-fetched2).  A question about
"traffic" or "offices" then finds nothing, and a memo quoting them reads as garbled.
"""

from __future__ import annotations

import re

# A document with several damaged words gets them back; "ffi" where "ff" would meet a consonant
# ("O!ce").  One stray "!" between letters is left alone.
_LIGATURES = str.maketrans({"\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl",
                            "\ufb05": "st", "\ufb06": "st"})
_LOST_FF = re.compile(r"(?<=[A-Za-z])[\x00!](?=[a-z])")
# A word can end in "ff" ("staff", "tariff"), never in "ffi": "200 EPA sta\x00 in EPA headquarters"
# (a memo quoted the NUL).  A "!" there is an exclamation mark.
_LOST_FF_END = re.compile(r"(?<=[A-Za-z])\x00(?![A-Za-z])")
_LOST_FT = re.compile(r"(?<=[a-z])\"(?=[a-z])")
LOST_LIGATURES_MIN = 2  # damaged words in a document before they are repaired


def repair_ligatures(pages: list[str]) -> list[str]:
    """The pages' text with ligatures spelled out and lost ones restored (see ``_LOST_FF``)."""
    pages = [page.translate(_LIGATURES) for page in pages]
    if sum(len(_LOST_FF.findall(page)) + len(_LOST_FF_END.findall(page)) for page in pages) >= LOST_LIGATURES_MIN:
        pages = [_LOST_FT.sub("ft", _LOST_FF_END.sub("ff", _LOST_FF.sub(
            lambda m: "ffi" if page[m.end()] in "bcdfgkmnptvz" else "ff", page))) for page in pages]
    return [page.replace("\x00", "") for page in pages]  # a NUL left is no text
