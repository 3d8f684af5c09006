"""Product image uploads: sniffed, verified, limited, stored under new names.

The type comes from the bytes, never from the client's file name or header:
only JPEG, PNG and WebP pass, confirmed by Pillow, which also reads the pixel
size before anything is decoded. Files are stored as ``<random hex>.<ext>``
and served back with the stored type only (see ``export_hub/catalog/web.py``).
"""

from __future__ import annotations

import hashlib
import io
import secrets
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from PIL import Image, UnidentifiedImageError

from export_hub.catalog.models import Product, ProductImage
from export_hub.errors import Text, ValidationFailed

MAX_IMAGES = 8
#: Pillow format name -> (content type, extension).
ALLOWED_FORMATS = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
}
STORED_NAME_PATTERN = r"[0-9a-f]{32}\.(?:jpg|png|webp)"


@dataclass(frozen=True)
class CheckedImage:
    """An upload that passed every check, ready to store."""

    data: bytes
    content_type: str
    extension: str
    width: int
    height: int
    sha256: str


def sniff_format(data: bytes) -> str | None:
    """The image format the leading bytes announce, or ``None``."""
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


def _refuse(ko: str, en: str) -> ValidationFailed:
    return ValidationFailed({"images": Text(ko, en)})


def check_image(data: bytes, *, max_bytes: int, max_pixels: int) -> CheckedImage:
    """Verify one upload; raises ``ValidationFailed`` on field ``images``.

    CPU-bound (a full decode of up to ``max_pixels``): the web layer runs it
    in a worker thread through :class:`export_hub.cpu.CpuWork`.
    """
    if not data:
        raise _refuse("빈 파일입니다.", "The file is empty.")
    if len(data) > max_bytes:
        mib = max_bytes / (1024 * 1024)
        raise _refuse(
            f"이미지는 {mib:.0f}MB 이하여야 합니다.",
            f"Images must be at most {mib:.0f} MB.",
        )
    sniffed = sniff_format(data)
    if sniffed is None:
        raise _refuse(
            "JPEG, PNG, WebP 이미지만 올릴 수 있습니다.",
            "Only JPEG, PNG and WebP images can be uploaded.",
        )
    try:
        with warnings.catch_warnings():
            # Past Pillow's own bomb limit the header alone decides: refuse.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[sniffed]) as probe:
                width, height = probe.size
                if width * height > max_pixels:
                    raise _too_many_pixels(max_pixels)
                probe.verify()
            with Image.open(io.BytesIO(data), formats=[sniffed]) as image:
                image.load()
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise _too_many_pixels(max_pixels) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise _refuse(
            "이미지 파일이 손상되었거나 올바르지 않습니다.",
            "The image file is damaged or not a valid image.",
        ) from exc
    content_type, extension = ALLOWED_FORMATS[sniffed]
    return CheckedImage(
        data=data,
        content_type=content_type,
        extension=extension,
        width=width,
        height=height,
        sha256=hashlib.sha256(data).hexdigest(),
    )


def check_image_file(
    file: IO[bytes], *, max_bytes: int, max_pixels: int
) -> CheckedImage:
    """:func:`check_image` on an uploaded file, reading at most one byte past
    ``max_bytes``. Blocking (file I/O, decoding): run it in a worker thread."""
    return check_image(
        file.read(max_bytes + 1), max_bytes=max_bytes, max_pixels=max_pixels
    )


def _too_many_pixels(max_pixels: int) -> ValidationFailed:
    return _refuse(
        f"이미지가 너무 큽니다 (최대 {max_pixels:,} 픽셀).",
        f"The image has too many pixels (at most {max_pixels:,}).",
    )


def check_image_count(existing: int, new: int) -> None:
    if existing + new > MAX_IMAGES:
        raise _refuse(
            f"이미지는 제품당 최대 {MAX_IMAGES}장입니다.",
            f"At most {MAX_IMAGES} images per product.",
        )


class ImageStore:
    """Image files under ``upload_dir``, named by the store, never the client."""

    def __init__(self, upload_dir: Path):
        self.upload_dir = upload_dir

    def path_of(self, stored_name: str) -> Path:
        return self.upload_dir / stored_name

    def save(self, image: CheckedImage) -> str:
        """Write the file (atomically, via a temporary name); returns its name."""
        self.upload_dir.mkdir(parents=True, exist_ok=True)
        name = f"{secrets.token_hex(16)}.{image.extension}"
        tmp = self.upload_dir / f".{name}.tmp"
        tmp.write_bytes(image.data)
        tmp.replace(self.upload_dir / name)
        return name

    def discard(self, names: list[str]) -> None:
        """Remove files whose database rows were rolled back or deleted."""
        for name in names:
            self.path_of(name).unlink(missing_ok=True)


def attach_images(
    product: Product, store: ImageStore, images: list[CheckedImage]
) -> list[str]:
    """Store ``images`` and add their rows to ``product`` (images loaded).

    Returns the stored names so the caller can :meth:`ImageStore.discard`
    them if its transaction fails.
    """
    check_image_count(len(product.images), len(images))
    names: list[str] = []
    position = max((img.position for img in product.images), default=-1) + 1
    for offset, image in enumerate(images):
        name = store.save(image)
        names.append(name)
        product.images.append(
            ProductImage(
                stored_name=name,
                content_type=image.content_type,
                width=image.width,
                height=image.height,
                size_bytes=len(image.data),
                sha256=image.sha256,
                position=position + offset,
            )
        )
    return names
