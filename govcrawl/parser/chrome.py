"""Remove page chrome from already-extracted, normalised (simplified, width-folded) text, line by line.

Chrome is what a government CMS wraps around a report: breadcrumbs (您当前的位置/当前位置/您所在的位置), toolbars
(【字体：大 中 小】, 字号, 打印本页, 关闭窗口, 分享到), QR and voice-reading widgets (扫一扫在手机打开当前页,
点击我为您语音播报 and its greeting lines), editor lines (责任编辑), view counters (浏览次数), footers (网站标识码, ICP备,
公安备案号, 版权所有, 主办单位) and runs of table-border characters (``||||``). A line goes when it is made of chrome
only; bracketed widgets are also cut out of longer lines. Report text is never cut mid-sentence.
"""

from __future__ import annotations

import re

# Lines that are chrome whatever follows the label (kept short so a long body line is never dropped). Every
# alternative is anchored at the start: tried with ``match`` (``search`` would retry at every position).
_LABEL_LINE = re.compile(
    r"^(?:您当前的位置|您当前位置|当前位置|您所在的位置|您所在位置|您现在的位置|所在位置|当前的位置|位置)\s*[:>]"
    r"|^(?:责任编辑|编辑|审核|校对|审校|责编|来源编辑)\s*[:]"
    r"|^(?:网站标识码|政府网站标识码|ICP备案号|备案号|公安备案号|公网安备|网站备案|主办单位|承办单位|协办单位|技术支持|"
    r"维护单位|运维单位|联系我们|网站地图)(?:\s|:|$)"
    r"|^(?:版权所有|Copyright|copyright|COPYRIGHT|©)"
    r"|^今天是\s*[:]?\s*\d{4}年.{0,20}星期"
    r"|^(?:上一篇|下一篇|上一条|下一条)\s*[:]"
)
_LABEL_LINE_MAX = 200

# Lines containing one of these are chrome when short (footers and counters carry values we do not keep).
_SHORT_LINE_MARKERS = re.compile(
    r"ICP备|icp备|公网安备|公安备案|网站标识码|版权所有|浏览次数|阅读次数|访问量|访问次数|点击次数|点击数|阅读量|"
    r"扫一扫在手机|在手机上查看|手机扫描二维码|语音播报|我是[^\s,.。]{1,6}$|政府网站找错|建议使用.{0,20}浏览器|分辨率"
)
_SHORT_LINE_MAX = 80

# Tokens that make up widget-only lines; a line left empty once they are removed is chrome.
_TOKENS = re.compile(
    r"【[^】\n]{0,20}】|\[[^\]\n]{0,20}\]"
    r"|(?:字体|字号)\s*[:]?\s*(?:[大中小]\s*){0,3}"
    r"|(?:分享到|分享)\s*[:]?|微信|微博|QQ空间|qq空间|腾讯微博|新浪微博|人人网|豆瓣"
    r"|打印本页|打印此页|打印文章|打印|关闭窗口|关闭本页|关闭|返回顶部|返回首页|返回|收藏本页|收藏|加入收藏|设为首页"
    r"|切换|简体|繁体|繁體|无障碍浏览|无障碍|长者模式|退出长者模式|适老化|关怀版|English|ENGLISH"
    r"|(?:上午|下午|中午|晚上|早上|早安|你好|您好)好?\s*[!,]?\s*我是[^\s,.。]{1,6}"
    r"|点击我为您语音播报|语音播报|点击播报|播报|停止|暂停|继续"
    r"|扫一扫在手机打开当前页|扫一扫在手机上查看当前页面|扫一扫|二维码"
    r"|首页|正文|正文内容|TOP|top"
)
# Only these tokens can swallow a digit (bracketed widgets, the voice-reading greeting); the other tokens and the
# separators hold none (tests/test_parser_synthetic.py checks this against _TOKENS/_SEPARATORS).
_DIGIT = re.compile(r"[0-9]")
_DIGIT_EATERS = re.compile(r"[【\[]|我是")
_SEPARATORS = re.compile(r"[\s|:;,.>/»·•\-_=*#、,。;:!?|()\[\]【】「」《》]+")

# Bracketed widgets cut out of longer lines: 【字体：大 中 小】 【打印】 [关闭窗口] ...
_INLINE_WIDGETS = re.compile(
    r"【\s*(?:字体|字号|打印|关闭|分享|收藏|返回|大\s*中\s*小)[^】\n]{0,20}】"
    r"|\[\s*(?:字体|字号|打印|关闭|分享|收藏|返回|大\s*中\s*小)[^\]\n]{0,20}\]"
)
_BREADCRUMB_ARROWS = re.compile(r"^首页\s*(?:>|»|/)")


def is_chrome_line(line: str) -> bool:
    """True when ``line`` (one stripped line of normalised text) is page chrome and nothing else."""
    stripped = line.strip().strip("|").strip()
    if not stripped:
        return bool(line.strip())  # a line of only "|" is chrome; an empty line is not a line to drop
    if len(stripped) <= _LABEL_LINE_MAX and (_LABEL_LINE.match(stripped) or _BREADCRUMB_ARROWS.match(stripped)):
        return True
    if len(stripped) > _SHORT_LINE_MAX or "。" in stripped:  # a sentence is report text
        return False
    if _SHORT_LINE_MARKERS.search(stripped):
        return True
    if _DIGIT.search(stripped) and not _DIGIT_EATERS.search(stripped):
        return False  # a digit survives both substitutions below (table rows, figures): not chrome
    return not _SEPARATORS.sub("", _TOKENS.sub(" ", stripped))


def remove_inline_widgets(line: str) -> str:
    """``line`` with bracketed widgets (【字体：大 中 小】, [打印本页] ...) cut out."""
    if "【" in line or "[" in line:
        return _INLINE_WIDGETS.sub("", line).rstrip()
    return line


def strip_chrome(text: str) -> str:
    """``text`` without chrome lines and with bracketed widgets cut out of the lines that remain."""
    kept: list[str] = []
    for line in text.split("\n"):
        if is_chrome_line(line):
            continue
        kept.append(remove_inline_widgets(line))
    return "\n".join(kept)
