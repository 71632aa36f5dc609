"""The cases of the fault portal (tests/fault_portal.py): routes, and the column that links them."""

from __future__ import annotations

import socket
import time
from typing import TYPE_CHECKING

from tests.fault_portal import (
    LAUGHS,
    W_NS,
    XXE_DOCUMENT,
    Request,
    docx,
    drip,
    gzip_bomb,
    gzipped,
    html,
    pdf_bomb,
    raw,
    report_html,
    send,
)

if TYPE_CHECKING:
    from tests.fault_portal import FaultPortal

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40


UNITS = ("人民政府", "财政局", "教育局", "公安局", "民政局", "司法局", "人力资源和社会保障局", "自然资源局", "生态环境局",
         "住房和城乡建设局", "交通运输局", "水利局", "农业农村局", "商务局", "文化和旅游局", "卫生健康局", "退役军人事务局",
         "应急管理局", "审计局", "市场监督管理局", "统计局", "医疗保障局", "林业局", "城市管理局", "信访局", "档案局",
         "发展和改革局", "工业和信息化局", "科学技术局", "民族宗教事务局", "乡村振兴局", "粮食和物资储备局", "气象局",
         "地震局", "税务局", "供销合作社", "残疾人联合会", "妇女联合会", "总工会", "红十字会", "行政审批服务局",
         "数据资源管理局", "人民防空办公室", "机关事务管理局", "投资促进局", "城关镇人民政府", "东关街道办事处",
         "西河乡人民政府", "南山镇人民政府", "北坪镇人民政府")


def title(n: int) -> str:
    """The report title of case ``n``: one unit of the county per case, so every title is distinct."""
    return f"某某县{UNITS[n % len(UNITS)]}2023年政府信息公开工作年度报告"


def build_cases(portal: FaultPortal) -> None:
    """Register every case's routes on ``portal`` and the column page linking them."""
    routes, cases = portal.routes, portal.cases
    links: list[tuple[str, str]] = []
    first_seen: dict[str, float] = {}

    def case(name: str, path: str, handler=None, *, link: str | None = None) -> None:
        number = len(cases) + 1
        cases[name] = link or path
        if handler is not None:
            routes[path] = handler
        links.append((link or path, title(number)))

    def with_attachment(name: str, data: bytes, suffix: str, content_type: str) -> None:
        attachment = f"/a/{name}{suffix}"
        page = report_html(title(len(cases) + 1), f'<p>附件：<a href="{attachment}">2023年年报{suffix}</a></p>')
        case(name, f"/r/{name}.html", html(page))
        routes[attachment] = lambda request, sock: send(sock, "200 OK", [("Content-Type", content_type)], data)

    def retry_after(status: str, seconds: str | None):
        def handler(request: Request, sock: socket.socket) -> None:
            if request.path not in first_seen:
                first_seen[request.path] = time.monotonic()
                send(sock, status, [("Content-Type", "text/html")] + ([("Retry-After", seconds)] if seconds else []),
                     b"<html><body>busy</body></html>")
            else:
                html(report_html(title(0)))(request, sock)
        return handler

    case("ok", "/r/ok.html", html(report_html(title(1))))
    case("server_error_storm", "/r/e500.html", html(b"<html><body>error</body></html>", "500 Internal Server Error"))
    case("unavailable_retry_after", "/r/e503.html", retry_after("503 Service Unavailable", "1"))
    case("too_many_requests_retry_after", "/r/e429.html", retry_after("429 Too Many Requests", "2"))
    case("too_many_requests_no_retry_after", "/r/e429b.html", retry_after("429 Too Many Requests", None))
    case("slow_drip", "/r/drip.html", drip(report_html(title(6)), 0.3))
    case("never_answers", "/r/silent.html", lambda request, sock: portal._stop.wait(60))
    case("tls_stall", "", link=f"https://{portal.host}:{portal.tls_port}/r/tls.html")
    case("truncated_gzip", "/r/trgz.html", gzipped(report_html(title(9)) * 4, truncate=300))
    case("short_body", "/r/short.html",
         lambda request, sock: send(sock, "200 OK", [("Content-Type", "text/html")], report_html(title(10))[:200],
                                    length=5000))
    routes["/r/loop2.html"] = lambda request, sock: send(sock, "302 Found", [("Location", "/r/loop.html")])
    case("redirect_loop", "/r/loop.html", lambda request, sock: send(sock, "302 Found", [("Location", "/r/loop2.html")]))
    case("offsite_redirect", "/r/away.html", lambda request, sock: send(sock, "302 Found", [
        ("Location", f"http://{portal.offsite_host}:{portal.offsite_port}/r/offsite.html")]))
    portal.routes["/r/offsite.html"] = html(report_html(title(12)))
    case("file_redirect", "/r/tofile.html", lambda request, sock: send(sock, "302 Found", [
        ("Location", "file:///etc/passwd")]))
    case("ftp_redirect", "/r/toftp.html", lambda request, sock: send(sock, "302 Found", [
        ("Location", f"ftp://{portal.host}:{portal.port}/x.html")]))
    case("data_redirect", "/r/todata.html", lambda request, sock: send(sock, "302 Found", [
        ("Location", "data:text/html,%3Ch1%3E2023%E5%B9%B4%E6%94%BF%E5%BA%9C%E4%BF%A1%E6%81%AF%E5%85%AC%E5%BC%80%E5%B7%A5%E4%BD%9C%E5%B9%B4%E5%BA%A6%E6%8A%A5%E5%91%8A%3C/h1%3E")]))
    case("binary_as_html", "/r/binary.html", html(PNG))
    case("huge_page", "/r/huge.html", html(report_html(title(17), "<p>" + "公开" * 10_000_000 + "</p>")))
    case("deep_nesting", "/r/deep.html", html(report_html(title(18), "<div>" * 200_000 + "x" + "</div>" * 200_000)))
    wrong = report_html(title(19)).decode("utf-8").encode("gbk")
    case("wrong_charset", "/r/gbk.html", html(wrong))
    case("nul_bytes", "/r/nul.html", html(report_html(title(20)).replace(b"<p>", b"<p>\0\0", 5)))
    case("dotdot_attachment_name", "/r/dotdot.html", html(report_html(title(21),
         '<p><a href="/a/dotdot.pdf">附件.pdf</a></p>')))
    routes["/a/dotdot.pdf"] = lambda request, sock: send(sock, "200 OK", [
        ("Content-Type", "application/pdf"),
        ("Content-Disposition", 'attachment; filename="../../../../tmp/govcrawl-escaped.pdf"')], b"%PDF-1.4\n%%EOF\n")
    case("gzip_bomb", "/r/gzbomb.html", gzip_bomb(1024))
    with_attachment("pdf_bomb", pdf_bomb(1024), ".pdf", "application/pdf")
    with_attachment("docx_bomb", docx(f"<w:document {W_NS}/>".encode(), bomb_megabytes=100), ".docx",
                    "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    with_attachment("docx_xxe", docx(XXE_DOCUMENT), ".docx",
                    "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    with_attachment("encrypted_pdf", b"%PDF-1.4\n1 0 obj\n<< /Filter /Standard /V 2 /R 3 /O <00> /U <00> /P -4 >>\n"
                    b"endobj\ntrailer\n<< /Encrypt 1 0 R /Root 2 0 R >>\n%%EOF\n", ".pdf", "application/pdf")
    with_attachment("corrupt_pdf", b"%PDF-1.7\n" + PNG, ".pdf", "application/pdf")
    with_attachment("corrupt_docx", b"PK\x03\x04" + PNG, ".docx",
                    "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    refused = (f'<p>附件：<a href="file:///etc/passwd.pdf">附件1.pdf</a> <a href="ftp://{portal.host}:{portal.port}/a/x.pdf">'
               '附件2.pdf</a> <a href="data:text/plain,report.pdf">附件3.pdf</a></p>')
    case("non_http_attachments", "/r/schemes.html", html(report_html(title(46), refused)))
    case("header_flood", "/r/headers.html", lambda request, sock: send(
        sock, "200 OK", [("Content-Type", "text/html")] + [(f"X-Flood-{n}", "x" * 40) for n in range(20_000)],
        report_html(title(29))))
    case("many_links", "/r/links.html", html(report_html(title(30), "".join(
        f'<a href="/x/{n}.html">链接{n}</a>' for n in range(60_000)))))
    case("file_link", "", link="file:///etc/passwd")
    case("empty_200", "/r/empty.html", html(b""))
    case("removed_stub", "/r/stub.html", html(b'<html><head><meta http-equiv="refresh" content="0;URL=../"></head>'
                                               b"<body></body></html>"))
    case("not_found", "/r/missing.html")
    case("no_content_type_binary", "/r/noct.html", lambda request, sock: send(sock, "200 OK", [], PNG))
    case("bad_chunked", "/r/chunked.html", raw(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
                                               b"Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n"))
    case("garbage_response", "/r/garbage.html", raw(b"hello there, this is no HTTP at all\r\n\r\n"))
    case("missing_location", "/r/noloc.html", lambda request, sock: send(sock, "302 Found", []))
    case("long_url", "/r/" + "长" * 20_000 + ".html")
    case("set_cookie_on_report", "/r/cookie.html", html(report_html(title(41)), extra=[
        ("Set-Cookie", f"k{n}={'v' * 100}; Path=/") for n in range(500)]))
    case("content_length_too_long_body", "/r/longer.html", lambda request, sock: send(
        sock, "200 OK", [("Content-Type", "text/html; charset=utf-8")], report_html(title(42)) + b"x" * 5000,
        length=len(report_html(title(42)))))
    case("xml_as_report", "/r/report.xml", lambda request, sock: send(
        sock, "200 OK", [("Content-Type", "application/xml")], XXE_DOCUMENT.replace(b"file:///etc/hostname",
                                                                                     b"file:///etc/passwd")))
    case("billion_laughs_page", "/r/laughs.html", lambda request, sock: send(
        sock, "200 OK", [("Content-Type", "text/xml")], LAUGHS))

    items = "".join(f'<li><a href="{href}" title="{text}">{text}</a><span>2024-01-20</span></li>'
                    for href, text in links)
    column = (f"<html><head><meta charset='utf-8'><title>信息公开年报</title></head><body>"
              f"<div class='list'><ul>{items}</ul></div></body></html>").encode()
    routes["/faults/index.html"] = html(column, extra=[("Set-Cookie", f"flood{n}={'v' * 100}; Path=/")
                                                        for n in range(3000)])
    routes["/robots.txt"] = lambda request, sock: send(sock, "200 OK", [("Content-Type", "text/plain")],
                                                       b"User-agent: *\nAllow: /\n")

    def endless(request: Request, sock: socket.socket) -> None:
        page = int(request.path.rsplit("_", 1)[-1].split(".")[0]) if "_" in request.path else 0
        body = (f"<html><head><meta charset='utf-8'><title>信息公开年报</title></head><body><ul>"
                f"<li><a href='/r/ok.html'>{title(1)}</a></li></ul>"
                f"<div class='page'><a href='/endless/index_{page + 1}.html'>下一页</a></div></body></html>")
        html(body.encode("utf-8"))(request, sock)

    routes["/endless/index.html"] = endless
    for page in range(1, 10_000):
        routes[f"/endless/index_{page}.html"] = endless
    portal.cases["endless_pager"] = "/endless/index.html"
    portal.columns.append("/endless/index.html")
    routes["/hanweb/dataproxy.jsp"] = lambda request, sock: send(sock, "200 OK", [("Content-Type", "text/xml")],
                                                                 LAUGHS)
    hanweb_xxe = ('<?xml version="1.0"?><!DOCTYPE datastore [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
                  f'<datastore><recordset><record><![CDATA[<li><a href="/r/hanweb_xxe.html" title="{title(49)}">'
                  f'{title(49)}</a></li>]]></record><record>&xxe;</record></recordset>'
                  '<totalrecord>46</totalrecord></datastore>').encode()
    routes["/hanweb/xxe/dataproxy.jsp"] = lambda request, sock: send(sock, "200 OK", [("Content-Type", "text/xml")],
                                                                     hanweb_xxe)
    routes["/r/hanweb_xxe.html"] = html(report_html(title(49)))
    for name, proxy in (("hanweb_xxe_dataproxy", "/hanweb/xxe/dataproxy.jsp"),
                        ("billion_laughs_dataproxy", "/hanweb/dataproxy.jsp")):
        column_path = f"/hanweb/{name}/index.html"
        routes[column_path] = html(hanweb_column(proxy))
        portal.cases[name] = column_path
        portal.columns.append(column_path)


def hanweb_column(proxy: str) -> bytes:
    """A Hanweb jpage column: one group embedded as ``<datastore>``, the next one POSTed to ``proxy``."""
    nextgroup = f'<a href="{proxy}?page=1&webid=1&path=/&columnid=7&unitid=9&permissiontype=0"></a>'
    record = f'<li><a href="/r/ok.html" title="{title(1)}">{title(1)}</a><span>2024-01-20</span></li>'
    return (f"<html><head><meta charset='utf-8'><title>信息公开年报</title></head><body><div id='9'>"
            f'<script type="text/xml"><datastore><nextgroup><![CDATA[{nextgroup}]]></nextgroup><recordset>'
            f"<record><![CDATA[{record}]]></record></recordset></datastore></script>"
            f'<script>$(function(){{ $("#9").jpage({{ proxyUrl: "{proxy}", perPage: 1, totalRecord: 46 }}); }});'
            f"</script></div></body></html>").encode()
