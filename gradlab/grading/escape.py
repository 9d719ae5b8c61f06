"""Learner-written text made safe to show: control characters and undecodable bytes escaped.

File names and messages come from learners. Sent raw to a terminal, ESC starts escape
sequences (colours, cursor moves, OSC 52 writes the clipboard); in a gradebook, an
undecodable byte cannot even be encoded. ``visible`` keeps ordinary text (accents, CJK)
as it is and writes everything else as a Python-style escape (``\\x1b``, ``\\u202e``).
"""

from __future__ import annotations

import unicodedata

# control, format (bidi overrides), surrogate (undecodable bytes), private use, separators
_HIDDEN = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def _escape(char: str) -> str:
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # a byte os.fsdecode could not decode (surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def visible(text: str) -> str:
    """``text`` with control characters and undecodable bytes written as visible escapes."""
    if text.isprintable() and text.isascii():
        return text
    return "".join(_escape(char) if unicodedata.category(char) in _HIDDEN else char
                   for char in text)
