"""Make the binary Word 97–2003 documents in this folder (run by hand; needs LibreOffice's ``soffice``).

They are committed: the mock portal's ``attachments`` site serves them (a .doc behind a detail page, a .wps linked
straight from the list), and tests/test_extract_word97.py reads them.

Each fixture is a complete mock report composed by ``govcrawl.demo.texts.compose_report`` (2019 and 2021 template,
tables in the published layout with row and column spans, and in the Word-export layout), written as an HTML page and
converted by LibreOffice's own MS Word 97 filter, so the ``.doc`` files are real Word binaries, not ones written by
this project. Next to each ``NAME.doc`` lies ``NAME.truth.json``: the values the report was composed from.

    python govcrawl/demo/word97/make_fixtures.py
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import tempfile
from pathlib import Path

from govcrawl.demo.texts import ReportTruth, compose_report

HERE = Path(__file__).resolve().parent
FIXTURES = [  # name, agency, year, format, layout
    ("report_2021_published", "云岭县市场监督管理局", 2021, "2021", "published"),
    ("report_2019_word", "云岭县市场监督管理局", 2020, "2019", "word"),
    ("report_pre2019", "平安镇人民政府", 2017, "pre2019", None),
]


def main() -> None:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        raise SystemExit("LibreOffice (soffice) is needed to make the fixtures: apt-get install libreoffice-writer-nogui")
    with tempfile.TemporaryDirectory() as work:
        for name, agency, year, generation, layout in FIXTURES:
            title = f"{agency}{year}年政府信息公开工作年度报告"
            truth = ReportTruth(url=f"http://www.example.gov.cn/{name}.doc", title=title, year=year, agency=agency,
                                format=generation, published=f"{year + 1}-01-20")
            body = compose_report(truth, random.Random(name), compiler=agency, layout=layout)
            link = (f"<p>本报告电子版可在<a href='http://www.example.gov.cn/{name}/'>{agency}门户网站</a>"
                    "“政府信息公开年报”栏目下载。</p>")  # becomes a HYPERLINK field in the .doc
            page = (f"<html><head><meta charset='utf-8'><title>{title}</title></head><body>"
                    f"<p align=center><b>{title}</b></p>{body.html}{link}</body></html>")
            source = Path(work) / f"{name}.html"
            source.write_text(page, encoding="utf-8")
            subprocess.run([soffice, "--headless", "--convert-to", "doc:MS Word 97", "--outdir", work, str(source)],
                           check=True, capture_output=True, timeout=180)
            shutil.copyfile(Path(work) / f"{name}.doc", HERE / f"{name}.doc")
            record = {"title": title, "agency": agency, "year": year, "format": generation, "published": truth.published,
                      "tables": truth.tables, "figures": truth.figures, "phrase": truth.phrase}
            (HERE / f"{name}.truth.json").write_text(json.dumps(record, ensure_ascii=False, indent=1) + "\n",
                                                      encoding="utf-8")
            print(name, (HERE / f"{name}.doc").stat().st_size, "bytes")


if __name__ == "__main__":
    main()
