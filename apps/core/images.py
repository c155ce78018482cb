"""Uploaded logos: only PNG and JPEG images of a sensible size, checked by decoding them."""

from __future__ import annotations

import io

from django.core.exceptions import ValidationError

MAX_LOGO_BYTES = 256 * 1024
MAX_LOGO_PIXELS = 2000  # per side
TYPES = {"PNG": "image/png", "JPEG": "image/jpeg"}


def logo_checked(data: bytes) -> tuple[bytes, str]:
    """``data`` and its content type if it is a PNG or JPEG logo Rapport accepts; otherwise a
    ``ValidationError`` saying why (too large, not an image, another format)."""
    from PIL import Image, UnidentifiedImageError

    if len(data) > MAX_LOGO_BYTES:
        raise ValidationError(f"A logo may be at most {MAX_LOGO_BYTES // 1024} KB.")
    try:
        with Image.open(io.BytesIO(data)) as image:
            kind, size = image.format, image.size
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise ValidationError("This file is not a PNG or JPEG image.") from error
    if kind not in TYPES:
        raise ValidationError(f"A logo must be a PNG or JPEG image, not {kind}.")
    if max(size) > MAX_LOGO_PIXELS:
        raise ValidationError(f"A logo may be at most {MAX_LOGO_PIXELS} pixels wide and high.")
    return data, TYPES[kind]
