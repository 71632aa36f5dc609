"""Decompression bombs (issue 12): a DOCX or PDF that would inflate past the limits is refused, fast."""

from __future__ import annotations

import io
import time
import zipfile
import zlib
from pathlib import Path

import pytest

from govcrawl.extract.limits import ResourceLimitExceeded, check_pdf, check_zip, inflated_size

REAL_PDF = Path(__file__).resolve().parents[2] / "shared" / "real" / "pdf" / "hzq_2023_report.pdf"


def _zeros_deflated(megabytes: int) -> bytes:
    packer = zlib.compressobj(9)
    block = b"\0" * (1024 * 1024)
    return b"".join(packer.compress(block) for _ in range(megabytes)) + packer.flush()


def pdf_bomb(megabytes: int) -> bytes:
    stream = _zeros_deflated(megabytes)
    return (b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
            b"4 0 obj\n<< /Length " + str(len(stream)).encode() + b" /Filter /FlateDecode >>\nstream\n"
            + stream + b"\nendstream\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")


def docx_bomb(megabytes: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("word/document.xml", "w", force_zip64=True) as member:
            block = b" " * (1024 * 1024)
            for _ in range(megabytes):
                member.write(block)
    return buffer.getvalue()


def test_a_pdf_stream_inflating_past_the_limit_is_refused_quickly() -> None:
    bomb = pdf_bomb(120)
    assert len(bomb) < 1_000_000
    started = time.monotonic()
    with pytest.raises(ResourceLimitExceeded) as refused:
        check_pdf(bomb)
    assert refused.value.limit == "pdf_stream" and str(refused.value).startswith("resource_limit: pdf_stream")
    assert time.monotonic() - started < 5


def test_a_docx_member_inflating_past_the_limit_is_refused() -> None:
    with pytest.raises(ResourceLimitExceeded) as refused:
        check_zip(docx_bomb(100))
    assert refused.value.limit == "zip_member" and "word/document.xml" in str(refused.value)


def test_limits_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVCRAWL_LIMIT_PDF_STREAM", str(1024 * 1024))
    with pytest.raises(ResourceLimitExceeded):
        check_pdf(pdf_bomb(2))
    monkeypatch.setenv("GOVCRAWL_LIMIT_PDF_STREAM", str(8 * 1024 * 1024))
    check_pdf(pdf_bomb(2))


def test_a_real_pdf_passes() -> None:
    check_pdf(REAL_PDF.read_bytes())


def test_inflated_size_counts_exactly_below_the_cap() -> None:
    data = zlib.compress(b"x" * 123_456)
    assert inflated_size(data, 0, 10**9) == 123_456
    assert inflated_size(data, 0, 1000) > 1000
    check_zip(b"not a zip at all")  # not a ZIP: left to the reader
