"""Characters that have no place in content: control characters and bidirectional overrides.

They arrive through YAML escapes ("\\x01", "\\0", "\\e", "\\u202e"), break XML (the Atom feed) and
can disguise text in HTML and CSV. The validator refuses them; every output strips them too.
"""

from __future__ import annotations

import re

#: C0 and C1 controls except tab and newline, and the Unicode bidi embeddings/overrides/isolates.
UNSAFE_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def first_unsafe(text: str) -> str | None:
    """The first unsafe character, as ``U+XXXX``, or None."""
    m = UNSAFE_CHARS.search(text)
    return f"U+{ord(m.group(0)):04X}" if m else None


def strip_unsafe(text: str) -> str:
    return UNSAFE_CHARS.sub("", text)
