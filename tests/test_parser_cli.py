"""`govcrawl parse PATH|- [--url URL]`: one JSON object out, clear errors and exit codes for bad input."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from govcrawl.cli import main
from govcrawl.schema import validate_item

SEEDS = Path(__file__).parents[2] / "shared" / "seeds"


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["parse", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_parse_a_seed_text_file(capsys: pytest.CaptureFixture[str]) -> None:
    (seed,) = SEEDS.glob("003_*.txt")
    code, out, err = _run([str(seed), "--url", "http://www.shg.gov.cn/a/1.html"], capsys)
    assert code == 0 and err == ""
    assert out.count("\n") == 1  # one JSON object on one line
    item = json.loads(out)
    validate_item(item)
    assert item["url"] == "http://www.shg.gov.cn/a/1.html" and item["source"] is None
    assert item["agency"] == "山海关区人民政府办公室" and item["figures"]["applications_new_total"] == 2
    assert "山海关区" in out  # UTF-8, not ASCII-escaped


def test_parse_html_goes_through_extraction(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    html = ("<html><head><meta charset='utf-8'><meta name='PubDate' content='2016-03-24 09:00'>"
            "<title>巫溪县2015年政府信息公开工作年度报告_巫溪县人民政府</title></head><body>"
            "<div class='TRS_Editor'><p>巫溪县2015年政府信息公开工作年度报告</p><p>一、概述</p>"
            "<p>2015年,全县主动公开政府信息23123条。</p><p>二、依申请公开情况</p><p>共受理9件政府信息公开申请。</p>"
            "</div></body></html>")
    page = tmp_path / "report.html"
    page.write_text(html, encoding="utf-8")
    code, out, _ = _run([str(page)], capsys)
    assert code == 0
    item = json.loads(out)
    validate_item(item)
    assert item["title"] == "巫溪县2015年政府信息公开工作年度报告"
    assert item["figures"] == {"proactive_total": 23123, "applications_received": 9}
    assert item["report_year"] == 2015


def test_parse_stdin(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    (seed,) = SEEDS.glob("001_*.txt")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(seed.read_bytes()), encoding="utf-8"))
    code, out, _ = _run(["-"], capsys)
    assert code == 0
    item = json.loads(out)
    assert item["script"] == "traditional" and item["figures"]["proactive_total"] == 93


@pytest.mark.parametrize(("name", "body", "message"), [
    ("empty.txt", b"", "empty input"),
    ("blank.html", b"  \n\t\n", "empty input"),
    ("binary.txt", bytes(range(256)) * 8, "binary file"),
    ("binary.dat", b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 8, "binary file"),
    ("image.html", b"<html><body><div class='TRS_Editor'><img src='a.jpg'></div></body></html>", "image-only"),
])
def test_bad_input_gives_a_message_and_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str,
                                              body: bytes, message: str) -> None:
    path = tmp_path / name
    path.write_bytes(body)
    code, out, err = _run([str(path)], capsys)
    assert code == 1 and out == ""
    assert message in err and "Traceback" not in err


def test_missing_file_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(["/nonexistent/report.txt"], capsys)
    assert code == 2 and out == "" and "no such file" in err


def test_not_a_report_prints_a_flagged_item_and_exits_3(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "note.txt"
    path.write_text("今天天气很好,我们去公园散步。", encoding="utf-8")
    code, out, err = _run([str(path)], capsys)
    assert code == 3 and "not_a_report" in err
    item = json.loads(out)
    validate_item(item)
    assert "not_a_report" in item["flags"]


def test_console_script_never_shows_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "bad.txt"
    path.write_bytes(b"\x00\x01\x02" * 100)
    result = subprocess.run([sys.executable, "-m", "govcrawl.cli", "parse", str(path)], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 1
    assert "binary file" in result.stderr and "Traceback" not in result.stderr


def test_parse_a_docx_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from govcrawl.demo.attachments import docx_bytes

    path = tmp_path / "report.docx"
    path.write_bytes(docx_bytes("示例县2016年政府信息公开工作年度报告", [
        "一、概述", "2016年,我县认真贯彻落实条例要求,推进政府信息公开工作。",
        "二、主动公开政府信息情况", "2016年,共主动公开政府信息1162条。",
        "示例县人民政府办公室", "2017年2月12日"]))
    code, out, _ = _run([str(path)], capsys)
    assert code == 0
    item = json.loads(out)
    validate_item(item)
    assert item["title"] == "示例县2016年政府信息公开工作年度报告"
    assert item["report_year"] == 2016 and item["published"] == "2017-02-12"
    assert item["figures"] == {"proactive_total": 1162}
