"""Reading a whole number from text that anyone may have sent."""
from __future__ import annotations


def digits(text: str, max_length: int = 18) -> bool:
    """ASCII digits, few enough for a BIGINT. str.isdigit() alone also takes "²" (which int()
    refuses) and "٣" (which it reads as 3), and int() refuses thousands of digits."""
    return text.isascii() and text.isdigit() and len(text) <= max_length
