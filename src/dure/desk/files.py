"""Attachments: what a file really is, decided by its content and never by its name.

Allowed: pdf, hwp (HWP 5 compound file), hwpx, docx, xlsx, jpg, png — at most 20 MB each.
pdf/jpg/png are recognised by ``filetype``; docx/xlsx by their ZIP container (an
``[Content_Types].xml`` entry plus ``word/`` or ``xl/``; macro-enabled documents are refused);
hwpx by its ``mimetype`` entry ``application/hwp+zip``; hwp by the OLE2 signature and a
``FileHeader`` stream that starts with ``HWP Document File``. An executable, a plain ZIP, an
HTML page or anything else is refused whatever it is called.
"""

from __future__ import annotations

import hashlib
import io
import struct
import zipfile
from dataclasses import dataclass
from typing import IO, Any

import filetype
from django.utils.translation import gettext_lazy as _

MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024
MAX_ATTACHMENTS_PER_UPLOAD = 10

KIND_MIME = {
    "pdf": "application/pdf",
    "hwp": "application/x-hwp",
    "hwpx": "application/hwp+zip",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "jpg": "image/jpeg",
    "png": "image/png",
}
ALLOWED_KINDS = tuple(KIND_MIME)
ALLOWED_LABEL = "PDF, HWP, HWPX, DOCX, XLSX, JPG, PNG"


class AttachmentRejected(Exception):
    """A file we refuse; ``code`` is stable, ``message`` localized."""

    def __init__(self, code: str, message: Any, name: str = "") -> None:
        self.code = code
        self.message = message
        self.name = name
        super().__init__(code)


@dataclass(frozen=True)
class SniffedFile:
    kind: str  # one of ALLOWED_KINDS
    mime: str
    size: int
    sha256: str


# --- OLE2 compound files (HWP 5) ---------------------------------------------------------------

OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_FREE, _END = 0xFFFFFFFF, 0xFFFFFFFE
_MAX_CHAIN = 1 << 20


def _ole_stream(data: bytes, name: str) -> bytes | None:
    """The bytes of the top-level stream ``name`` in an OLE2 compound file, or None."""
    if len(data) < 512 or not data.startswith(OLE_SIGNATURE):
        return None
    sector_shift, mini_shift = struct.unpack_from("<HH", data, 30)
    if sector_shift not in (9, 12) or mini_shift != 6:
        return None
    size = 1 << sector_shift
    (num_fat, first_dir, _tx, mini_cutoff, first_minifat, _n_minifat, first_difat, num_difat) = (
        struct.unpack_from("<IIIIIIII", data, 44)
    )

    def sector(n: int) -> bytes:
        off = (n + 1) * size
        return data[off : off + size]

    difat = list(struct.unpack_from("<109I", data, 76))
    seen = 0
    nxt = first_difat
    while nxt not in (_FREE, _END) and seen < num_difat and seen < 4096:
        block = sector(nxt)
        if len(block) < size:
            return None
        entries = struct.unpack_from(f"<{size // 4}I", block)
        difat.extend(entries[:-1])
        nxt = entries[-1]
        seen += 1
    fat: list[int] = []
    for n in difat[: max(num_fat, 0)]:
        if n in (_FREE, _END):
            continue
        block = sector(n)
        if len(block) < size:
            return None
        fat.extend(struct.unpack_from(f"<{size // 4}I", block))

    def chain(start: int, table: list[int]) -> list[int]:
        out: list[int] = []
        seen: set[int] = set()
        n = start
        while n not in (_FREE, _END) and n < len(table) and n not in seen:
            if len(out) >= _MAX_CHAIN:
                break
            seen.add(n)
            out.append(n)
            n = table[n]
        return out

    directory = b"".join(sector(n) for n in chain(first_dir, fat))
    root: tuple[int, int] | None = None
    found: tuple[int, int] | None = None
    for off in range(0, len(directory) - 127, 128):
        entry = directory[off : off + 128]
        name_len = struct.unpack_from("<H", entry, 64)[0]
        kind = entry[66]
        start, stream_size = struct.unpack_from("<II", entry, 116)
        entry_name = entry[: max(name_len - 2, 0)].decode("utf-16-le", errors="replace")
        if kind == 5:
            root = (start, stream_size)
        elif kind == 2 and entry_name == name:
            found = (start, stream_size)
    if found is None:
        return None
    start, stream_size = found
    if stream_size >= mini_cutoff:
        return b"".join(sector(n) for n in chain(start, fat))[:stream_size]
    if root is None:
        return None
    mini_stream = b"".join(sector(n) for n in chain(root[0], fat))
    minifat_bytes = b"".join(sector(n) for n in chain(first_minifat, fat))
    minifat = list(struct.unpack_from(f"<{len(minifat_bytes) // 4}I", minifat_bytes))
    mini = 1 << mini_shift
    return b"".join(mini_stream[n * mini : (n + 1) * mini] for n in chain(start, minifat))[
        :stream_size
    ]


def _is_hwp(data: bytes) -> bool:
    header = _ole_stream(data, "FileHeader")
    return bool(header) and header.startswith(b"HWP Document File")  # type: ignore[union-attr]


# --- ZIP containers (OOXML, HWPX) --------------------------------------------------------------


def _zip_kind(fh: IO[bytes]) -> str | None:
    try:
        with zipfile.ZipFile(fh) as archive:
            names = archive.namelist()
            lower = {n.lower() for n in names}
            if "mimetype" in names:
                info = archive.getinfo("mimetype")
                if info.file_size <= 100:
                    if archive.read(info).strip() == b"application/hwp+zip":
                        return "hwpx"
            if "[Content_Types].xml" in names:
                if any(n.endswith("vbaproject.bin") for n in lower):
                    return "ooxml_macro"
                if any(n.startswith("word/") for n in names):
                    return "docx"
                if any(n.startswith("xl/") for n in names):
                    return "xlsx"
            return "zip"
    except (zipfile.BadZipFile, OSError, KeyError, ValueError, NotImplementedError):
        return None


# --- sniffing ----------------------------------------------------------------------------------


def _read_all(fh: IO[bytes], limit: int) -> bytes:
    fh.seek(0)
    data = fh.read(limit + 1)
    fh.seek(0)
    return data


def sniff(fh: IO[bytes], *, name: str = "") -> SniffedFile:
    """Decide what ``fh`` (a seekable binary file) is; raise :class:`AttachmentRejected`."""
    data = _read_all(fh, MAX_ATTACHMENT_BYTES)
    size = len(data)
    if size == 0:
        raise AttachmentRejected("attachment_empty", _("빈 파일은 첨부할 수 없습니다."), name)
    if size > MAX_ATTACHMENT_BYTES:
        raise AttachmentRejected(
            "attachment_too_large",
            _("첨부 파일은 한 개에 20MB까지 올릴 수 있습니다."),
            name,
        )
    kind: str | None = None
    guess = filetype.guess(data[:8192])
    extension = guess.extension if guess else None
    if extension == "pdf" and data.startswith(b"%PDF-"):
        kind = "pdf"
    elif extension == "jpg":
        kind = "jpg"
    elif extension == "png":
        kind = "png"
    elif data.startswith(OLE_SIGNATURE):
        kind = "hwp" if _is_hwp(data) else None
    elif data.startswith(b"PK\x03\x04"):
        container = _zip_kind(io.BytesIO(data))
        if container == "ooxml_macro":
            raise AttachmentRejected(
                "attachment_macro",
                _("매크로가 들어 있는 문서는 첨부할 수 없습니다. 매크로 없이 저장해 주세요."),
                name,
            )
        kind = container if container in ALLOWED_KINDS else None
    if kind is None:
        raise AttachmentRejected(
            "attachment_type",
            _(
                "허용되지 않는 파일 형식입니다. 파일 이름이 아니라 내용으로 확인합니다. "
                "PDF, HWP, HWPX, DOCX, XLSX, JPG, PNG 파일만 첨부할 수 있습니다."
            ),
            name,
        )
    return SniffedFile(
        kind=kind, mime=KIND_MIME[kind], size=size, sha256=hashlib.sha256(data).hexdigest()
    )


def clean_filename(name: str, kind: str) -> str:
    """A display name safe to show and send back: no path, no control characters, at most
    120 characters, with the extension of the kind the content really is."""
    base = str(name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ch.isprintable() and ch not in '<>:"|?*').strip(" .")
    stem = base.rsplit(".", 1)[0] if "." in base else base
    stem = stem[:100] or "첨부"
    return f"{stem}.{kind}"
