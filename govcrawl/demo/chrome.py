"""Page templates of the mock sites: TRS-style column lists and detail pages with realistic chrome."""

from __future__ import annotations

import html
from dataclasses import dataclass

#: metadata 要素表 label sets seen on real sites (domain guide §2.4); rotated across pages
LABEL_SETS: tuple[tuple[str, str, str], ...] = (
    ("索引号：", "发布机构：", "发文日期："),
    ("索 引 号：", "发布机构：", "发文日期："),
    ("索引号", "发文机关", "发布日期"),
    ("索引号：", "信息来源：", "生成日期："),
)


@dataclass
class SiteInfo:
    """Identity of a mock government site (what its chrome shows)."""

    name: str  # e.g. 云岭县人民政府
    site_code: str  # 网站标识码
    icp: str  # ICP备案号
    police: str  # 公安备案号
    big5_link: str = ""  # href of the 繁體版 link, "" for none


def esc(text: str) -> str:
    return html.escape(text, quote=True)


def header(site: SiteInfo) -> str:
    big5 = f'<a href="{esc(site.big5_link)}" class="fanti">繁體版</a> | ' if site.big5_link else ""
    return (
        '<div class="top-bar"><div class="w1200"><span class="today">今天是：<script>document.write(new Date().toLocaleDateString())</script></span>'
        f'<span class="right">{big5}<a href="javascript:void(0)" onclick="toggleElder()">长者模式</a> | '
        '<a href="/wza/index.html">无障碍浏览</a></span></div></div>'
        f'<div class="header"><div class="w1200"><a href="/" class="logo"><img src="/images/logo.png" alt="{esc(site.name)}"></a>'
        '<form action="/search/index.html" method="get" class="search"><input type="text" name="searchword" placeholder="请输入关键词">'
        '<input type="submit" value="搜索"></form></div></div>'
        '<div class="nav"><ul><li><a href="/">首页</a></li><li><a href="/zwgk/index.html">政务公开</a></li>'
        '<li><a href="/zwfw/index.html">政务服务</a></li><li><a href="/hdjl/index.html">互动交流</a></li>'
        '<li><a href="/zjxx/index.html">走进本县</a></li></ul></div>'
    )


def footer(site: SiteInfo) -> str:
    return (
        '<div class="footer"><div class="w1200"><p><a href="/wzdt/index.html">网站地图</a> | <a href="/lxwm/index.html">联系我们</a> | '
        '<a href="/sm/index.html">使用帮助</a></p>'
        f"<p>主办单位：{esc(site.name)}办公室 &nbsp; 版权所有：{esc(site.name)}</p>"
        f"<p>网站标识码：{site.site_code} &nbsp; <a href=\"https://beian.miit.gov.cn/\">{site.icp}</a> &nbsp; "
        f'<img src="/images/ga.png">公安备案号：{site.police}</p>'
        '<p><a href="https://bszs.conac.cn/sitename?method=show&id=1" class="dzjg"><img src="/images/dzjg.png" alt="党政机关"></a>'
        ' <a href="https://zfwzgl.www.gov.cn/exposure/jiucuo.html?site_code=1" class="jiucuo">政府网站找错</a></p>'
        '<p class="wap">扫一扫在手机上查看当前页面</p></div></div>'
    )


def head(title: str, metas: dict[str, str], charset: str = "utf-8") -> str:
    meta_html = "".join(f'<meta name="{esc(k)}" content="{esc(v)}">\n' for k, v in metas.items())
    return (
        "<!DOCTYPE html>\n<html>\n<head>\n"
        f'<meta http-equiv="Content-Type" content="text/html; charset={charset}">\n'
        '<meta http-equiv="X-UA-Compatible" content="IE=edge">\n'
        f"{meta_html}<title>{esc(title)}</title>\n"
        '<link rel="stylesheet" href="/images/common.css">\n'
        '<script src="/wcm/app/js/jquery.min.js"></script>\n</head>\n'
    )


def list_page(
    site: SiteInfo,
    column: str,
    breadcrumb: list[tuple[str, str]],
    items: list[tuple[str, str, str]],
    page_script: str,
    chnl_id: int,
    charset: str = "utf-8",
    extra_items_html: str = "",
) -> str:
    """A TRS column page: ``items`` are (href, full title, YYYY-MM-DD); ``page_script`` is the pager script."""
    metas = {
        "SiteName": site.name,
        "SiteIDCode": site.site_code,
        "ColumnName": column,
        "ColumnDescription": f"{column}栏目",
        "ColumnKeywords": column,
        "ChnlId": str(chnl_id),
    }
    crumbs = " &gt; ".join(f'<a href="{esc(h)}">{esc(t)}</a>' for h, t in breadcrumb)
    lis = "\n".join(
        f'<li><a href="{esc(href)}" target="_blank" title="{esc(title)}">{esc(title)}</a><span>{date}</span></li>'
        for href, title, date in items
    )
    side = (
        '<div class="left-nav"><h3>政府信息公开</h3><ul>'
        '<li><a href="../zfxxgkzn/index.html">政府信息公开指南</a></li>'
        '<li><a href="../zfxxgkzd/index.html">政府信息公开制度</a></li>'
        '<li><a href="../fdzdgknr/index.html">法定主动公开内容</a></li>'
        '<li class="on"><a href="./index.html">政府信息公开年报</a></li>'
        "</ul></div>"
    )
    return (
        head(f"{column}_{site.name}", metas, charset)
        + "<body>\n"
        + header(site)
        + f'<div class="w1200 main"><div class="position">当前位置：{crumbs}</div>{side}'
        + f'<div class="right-list"><div class="list-title"><span>{esc(column)}</span></div>'
        + f'<ul class="list-ul">\n{lis}\n{extra_items_html}</ul>\n<div class="page">{page_script}</div></div></div>'
        + footer(site)
        + "\n</body>\n</html>\n"
    )


def create_page_script(total_pages: int, current: int, name: str = "index", ext: str = "html") -> str:
    """The TRS pager: ``createPageHTML(total, current, "index", "html")`` plus the function that draws it."""
    return (
        "<script>\n"
        "function createPageHTML(_nPageCount, _nCurrIndex, _sPageName, _sPageExt){\n"
        "  if(_nPageCount == null || _nPageCount<=1){ return; }\n"
        '  var nCurrIndex = _nCurrIndex || 0; var html = "";\n'
        '  if(nCurrIndex == 0) html += "<span>首页</span> ";\n'
        '  else html += "<a href=\\"" + _sPageName + "." + _sPageExt + "\\">首页</a> ";\n'
        "  for(var i=0; i<_nPageCount; i++){\n"
        '    var href = (i==0) ? _sPageName + "." + _sPageExt : _sPageName + "_" + i + "." + _sPageExt;\n'
        '    if(i == nCurrIndex) html += "<span class=\\"current\\">" + (i+1) + "</span> ";\n'
        '    else html += "<a href=\\"" + href + "\\">" + (i+1) + "</a> ";\n'
        "  }\n"
        "  document.write(html);\n"
        "}\n"
        f'createPageHTML({total_pages}, {current}, "{name}", "{ext}");\n'
        "</script>"
    )


def detail_page(
    site: SiteInfo,
    *,
    column: str,
    title: str,
    published: str,
    source: str,
    index_no: str,
    content_html: str,
    label_set: int,
    doc_id: int,
    chnl_id: int,
    breadcrumb: list[tuple[str, str]],
    charset: str = "utf-8",
    container: str = "TRS_Editor",
) -> str:
    """A TRS article page: metas, breadcrumb 当前位置, 要素表, toolbars, ``div.TRS_Editor`` content, footer."""
    metas = {
        "SiteName": site.name,
        "SiteDomain": "",
        "SiteIDCode": site.site_code,
        "ColumnName": column,
        "ColumnType": column,
        "ArticleTitle": title,
        "PubDate": f"{published} 09:{doc_id % 60:02d}",
        "ContentSource": source,
        "Keywords": "政府信息公开,年度报告",
        "Author": "",
        "DocId": str(doc_id),
        "ChnlId": str(chnl_id),
    }
    labels = LABEL_SETS[label_set % len(LABEL_SETS)]
    crumbs = " &gt; ".join(f'<a href="{esc(h)}">{esc(t)}</a>' for h, t in breadcrumb)
    table = (
        '<table class="xxgk_table" width="100%" border="0" cellspacing="0" cellpadding="0">'
        f"<tr><td class=\"label\">{labels[0]}</td><td>{esc(index_no)}</td><td class=\"label\">主题分类：</td><td>{esc(column)}</td></tr>"
        f"<tr><td class=\"label\">{labels[1]}</td><td>{esc(source)}</td><td class=\"label\">{labels[2]}</td><td>{published}</td></tr>"
        f'<tr><td class="label">名　　称：</td><td colspan="3">{esc(title)}</td></tr>'
        '<tr><td class="label">文　　号：</td><td colspan="3"></td></tr>'
        "</table>"
    )
    container_open = (
        f"<div class={container}>" if container == "TRS_Editor" else f'<div class="{container}" id="zoom">'
    )
    return (
        head(f"{title}_{site.name}", metas, charset)
        + "<body>\n"
        + header(site)
        + f'<div class="w1200 main"><div class="position">当前位置：{crumbs} &gt; 正文</div>'
        + f'<div class="xxgk-info">{table}</div>'
        + f'<div class="article"><h1 class="article-title">{esc(title)}</h1>'
        + f'<div class="article-info"><span>来源：{esc(source)}</span><span>发布时间：{published}</span>'
        + '<span>浏览次数：<script src="/wcm/app/count.jsp"></script>次</span>'
        + '<span class="font">【字体：<a href="javascript:doZoom(18)">大</a> <a href="javascript:doZoom(16)">中</a> '
        + '<a href="javascript:doZoom(14)">小</a>】</span></div>'
        + '<div class="article-content" id="fontzoom">'
        + "<style>.TRS_Editor P{margin-top:0;margin-bottom:12px;line-height:2;font-family:宋体;font-size:12pt;}</style>\n"
        + f"{container_open}\n{content_html}\n</div></div>"
        + '<div class="article-tools"><a href="javascript:window.print()">打印本页</a> '
        + '<a href="javascript:window.close()">关闭窗口</a> <span class="share">分享到：微信 微博 QQ空间</span> '
        + '<span class="qr">扫一扫在手机打开当前页</span></div></div></div>'
        + footer(site)
        + "\n</body>\n</html>\n"
    )
