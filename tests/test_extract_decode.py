"""Charset decoding: GBK/GB2312/GB18030, mis-declared pages, no declaration, BOMs (issue 4 item 2)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govcrawl.charset import decode_body, header_charset, meta_charset, normalise_charset
from govcrawl.extract import extract_document

PHRASE = "政府信息公开工作年度报告"
# 䶮 (U+4DAE) and 𠀀 (U+20000) exist in GB18030 but not in GBK: a GB18030 page must keep them
RARE = "刘䶮𠀀"


def page(body_text: str, meta: str = "") -> str:
    return (f"<html><head>{meta}<title>{PHRASE}</title></head><body>"
            f"<div class=TRS_Editor><p>某某县人民政府2023年{body_text}</p><p>一、总体情况</p></div></body></html>")


@pytest.mark.parametrize("label", ["gb2312", "GBK", "gb18030", "x-gbk", "cp936"])
def test_gb_family_declared_in_http_header(label: str) -> None:
    body = page(PHRASE).encode("gbk")
    decoded = decode_body(body, f"text/html; charset={label}")
    assert PHRASE in decoded.text
    assert decoded.encoding == "gb18030" and decoded.source == "http"


def test_meta_http_equiv_gb2312_without_header_charset() -> None:
    body = page(PHRASE, '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">').encode("gb2312")
    decoded = decode_body(body, "text/html")
    assert PHRASE in decoded.text and decoded.source == "meta" and decoded.encoding == "gb18030"


def test_gb2312_declared_page_with_gb18030_only_characters_survives() -> None:
    body = page(PHRASE + RARE, '<meta charset="gb2312">').encode("gb18030")
    decoded = decode_body(body, None)
    assert RARE in decoded.text and "\ufffd" not in decoded.text


def test_header_says_utf8_but_bytes_are_gbk() -> None:
    body = page(PHRASE * 3).encode("gbk")
    decoded = decode_body(body, "text/html; charset=UTF-8")
    assert PHRASE in decoded.text
    assert decoded.encoding == "gb18030" and decoded.declared == "utf-8" and decoded.mismatch


def test_header_says_gbk_but_bytes_are_utf8() -> None:
    decoded = decode_body(page(PHRASE).encode("utf-8"), "text/html; charset=gbk")
    assert PHRASE in decoded.text and decoded.encoding == "utf-8" and decoded.mismatch


def test_http_utf8_and_meta_gb2312_conflict_resolved_by_bytes() -> None:
    body = page(PHRASE, '<meta charset="gb2312">').encode("utf-8")
    assert PHRASE in decode_body(body, "text/html;charset=utf-8").text
    body = page(PHRASE, '<meta charset="utf-8">').encode("gbk")
    assert PHRASE in decode_body(body, "text/html").text


@pytest.mark.parametrize("codec", ["utf-8", "gbk", "gb18030"])
def test_no_declaration_at_all(codec: str) -> None:
    decoded = decode_body(page(PHRASE).encode(codec), None)
    assert PHRASE in decoded.text and decoded.declared is None and decoded.source == "sniff"


def test_bom_wins_over_declarations() -> None:
    body = b"\xef\xbb\xbf" + page(PHRASE, '<meta charset="gbk">').encode("utf-8")
    decoded = decode_body(body, "text/html; charset=gbk")
    assert decoded.source == "bom" and PHRASE in decoded.text and not decoded.text.startswith("\ufeff")


def test_few_broken_bytes_keep_the_declared_charset() -> None:
    body = page(PHRASE * 40).encode("utf-8")
    body = body[:200] + b"\xff" + body[200:]  # one stray byte in a long page
    decoded = decode_body(body, "text/html; charset=utf-8")
    assert decoded.encoding == "utf-8" and 0 < decoded.replaced <= 3 and PHRASE in decoded.text


def test_malformed_viewport_meta_charset_is_still_read() -> None:
    body = page(PHRASE, '<meta charset="gbk" name="viewport" content="width=device-width">').encode("gbk")
    assert meta_charset(body) == "gb18030"


def test_charset_helpers() -> None:
    assert header_charset('text/html; charset="GB2312"') == "gb18030"
    assert header_charset("text/html") is None
    assert normalise_charset("no-such-charset") is None
    assert normalise_charset("UTF8") == "utf-8"


def test_extract_document_reports_encoding_and_mismatch_flag() -> None:
    body = page(PHRASE).encode("gbk")
    document = extract_document(body, "text/html; charset=utf-8", "http://x.gov.cn/a.html")
    assert PHRASE in document.text
    assert document.encoding == "gb18030" and "charset_mismatch" in document.flags
    document = extract_document(page(PHRASE).encode("gbk"), "text/html; charset=gbk", "http://x.gov.cn/a.html")
    assert document.flags == []


@settings(max_examples=200, deadline=None)
@given(body=st.binary(max_size=400), label=st.sampled_from([None, "text/html", "text/html; charset=utf-8",
                                                           "text/html; charset=gbk", "text/html; charset=bogus"]))
def test_decode_never_raises_and_reports_a_real_codec(body: bytes, label: str | None) -> None:
    decoded = decode_body(body, label)
    assert isinstance(decoded.text, str)
    assert decoded.encoding in ("utf-8", "gb18030", "utf-16") or normalise_charset(decoded.encoding)


@settings(max_examples=100, deadline=None)
@given(text=st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5), min_size=5, max_size=80))
def test_gbk_text_round_trips_whatever_the_declaration(text: str) -> None:
    body = page(text).encode("gbk")
    for content_type in (None, "text/html; charset=utf-8", "text/html; charset=gb2312"):
        assert text in decode_body(body, content_type).text
