"""Unit tests: image sniffing and limits."""

from __future__ import annotations

import pytest

from export_hub.catalog.images import check_image, sniff_format
from export_hub.errors import ValidationFailed
from tests.foundation.helpers import image_bytes


@pytest.mark.parametrize(
    ("fmt", "content_type"),
    [("PNG", "image/png"), ("JPEG", "image/jpeg"), ("WEBP", "image/webp")],
)
def test_allowed_formats_are_recognised_from_bytes(fmt: str, content_type: str) -> None:
    checked = check_image(image_bytes(fmt), max_bytes=10**6, max_pixels=10**6)
    assert checked.content_type == content_type
    assert (checked.width, checked.height) == (64, 48)


@pytest.mark.parametrize(
    "data",
    [
        b"<html><script>alert(1)</script></html>",
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        b"GIF89a" + b"\x00" * 20,
        b"\x89PNG\r\n\x1a\n" + b"not really a png",
        b"",
    ],
)
def test_non_images_and_broken_images_are_refused(data: bytes) -> None:
    with pytest.raises(ValidationFailed) as info:
        check_image(data, max_bytes=10**6, max_pixels=10**6)
    assert "images" in info.value.fields


def test_size_and_pixel_limits() -> None:
    data = image_bytes("PNG", (200, 200))
    with pytest.raises(ValidationFailed) as info:
        check_image(data, max_bytes=10**6, max_pixels=200 * 199)
    assert "too many pixels" in info.value.fields["images"].en
    with pytest.raises(ValidationFailed) as info:
        check_image(data, max_bytes=len(data) - 1, max_pixels=10**6)
    assert "MB" in info.value.fields["images"].en
    assert sniff_format(image_bytes("JPEG")) == "JPEG"
