"""Canonical URLs, dedupe keys and the request fingerprinter."""

from __future__ import annotations

import pytest
from scrapy import Request

from govcrawl.discovery.urls import (
    CanonicalRequestFingerprinter,
    canonicalize,
    dedupe_key,
    has_session_id,
    host_port,
    is_twin,
)

ARTICLE = "http://www.pingtan.gov.cn/zfxxgk/zfxxgknb/202403/t20240308_87885.htm"


@pytest.mark.parametrize(
    "variant",
    [
        "https://www.pingtan.gov.cn/zfxxgk/zfxxgknb/202403/t20240308_87885.htm",
        "http://WWW.PINGTAN.GOV.CN:80/zfxxgk/zfxxgknb/202403/t20240308_87885.htm#top",
        "http://www.pingtan.gov.cn/zfxxgk/zfxxgknb/202403/t20240308_87885.htm?utm_source=wx&spm=a.b.c",
        "http://www.pingtan.gov.cn/zfxxgk/zfxxgknb/202403/t20240308_87885.htm;jsessionid=8F0A1B2C3D4E5F60718293A4B5C6D7E8",
        "http://www.pingtan.gov.cn/zfxxgk/zfxxgknb/202403/t20240308_87885_wap.htm",
        "http://www.pingtan.gov.cn/gate/big5/www.pingtan.gov.cn/zfxxgk/zfxxgknb/202403/t20240308_87885.htm",
    ],
)
def test_variants_share_the_dedupe_key(variant: str) -> None:
    assert dedupe_key(variant) == dedupe_key(ARTICLE) == "www.pingtan.gov.cn/zfxxgk/zfxxgknb/202403/t20240308_87885.htm"


def test_different_articles_and_ports_stay_apart() -> None:
    assert dedupe_key(ARTICLE) != dedupe_key(ARTICLE.replace("87885", "87886"))
    assert dedupe_key("http://127.0.0.1:8080/a.html") != dedupe_key("http://127.0.0.1:8081/a.html")
    assert dedupe_key("http://x.gov.cn/list?page=2") != dedupe_key("http://x.gov.cn/list?page=3")


def test_canonicalize_keeps_scheme_and_twin_but_strips_tracking_and_sessions() -> None:
    url = "HTTPS://Www.X.gov.cn:443/a/b_wap.html;jsessionid=ABCDEF0123456789ABCD?b=2&utm_medium=x&a=1#frag"
    assert canonicalize(url) == "https://www.x.gov.cn/a/b_wap.html?a=1&b=2"


def test_short_sid_is_a_site_id_not_a_session() -> None:
    api = "http://www.xuwen.gov.cn/gkmlpt/api/all/2661?page=2&sid=755001"
    assert canonicalize(api) == api
    assert not has_session_id(api)
    session = "http://x.gov.cn/art/1.html?sid=0f3a9c2e7b1d4a5f9e8c7b6a"
    assert has_session_id(session)
    assert canonicalize(session) == "http://x.gov.cn/art/1.html"


def test_twins_and_host_port() -> None:
    assert is_twin("http://cqqj.gov.cn/zwgk_159/zfxxgknb/qzfxxgknb/202403/t20240327_13086081_wap.html")
    assert is_twin("http://127.0.0.1:4000/gate/big5/127.0.0.1:4000/zfxxgknb/202403/t1.html")
    assert not is_twin(ARTICLE)
    assert dedupe_key("http://127.0.0.1:4000/gate/big5/127.0.0.1:4000/zfxxgknb/t1.html") == "127.0.0.1:4000/zfxxgknb/t1.html"
    assert host_port("http://122.137.242.24:8080/pub/x.html") == "122.137.242.24:8080"
    assert host_port("https://WWW.GOV.CN:443/") == "www.gov.cn"


def test_fingerprinter_dedupes_variants_but_not_posts_or_browser_retries() -> None:
    fp = CanonicalRequestFingerprinter()
    assert fp.fingerprint(Request(ARTICLE)) == fp.fingerprint(Request(ARTICLE.replace("http:", "https:") + "?utm_source=a"))
    proxy = "http://www.x.gov.cn/module/web/jpage/dataproxy.jsp?startrecord=46&endrecord=90&perpage=15"
    assert fp.fingerprint(Request(proxy, method="POST", body=b"columnid=1")) != fp.fingerprint(
        Request(proxy, method="POST", body=b"columnid=2")
    )
    assert fp.fingerprint(Request(ARTICLE)) != fp.fingerprint(Request(ARTICLE, meta={"playwright": True}))
