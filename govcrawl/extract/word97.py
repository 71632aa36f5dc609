"""Text and table grids from binary Word 97–2003 documents (``.doc``, and ``.wps`` files saved in that format),
in pure Python, following [MS-DOC]:

1. the File Information Block (FIB) at the start of the ``WordDocument`` stream gives the main text's length
   (``ccpText``), which table stream to use (``0Table``/``1Table``) and where the piece table (``Clx``) and the
   paragraph-property bin table (``PlcBtePapx``) lie in it;
2. the piece table maps character positions to the bytes holding them (UTF-16LE, or 8-bit "compressed" cp1252);
3. paragraph properties (PAPX in formatted disk pages) say which paragraph marks sit in a table cell
   (``sprmPFInTable``) and which end a table row (``sprmPFTtp``); the row-end mark's ``sprmTDefTable`` gives the
   cell boundaries and merge flags, so merged cells are spread over the columns they cover, as an HTML grid
   with rowspan/colspan is.

Field codes (``HYPERLINK "…"``, ``PAGE``) are dropped and their results kept. Encrypted files, Word 6/95 files and
damaged structures raise :class:`Word97Error` with what is wrong.
"""

from __future__ import annotations

import struct
from bisect import bisect_right
from dataclasses import dataclass
from io import BytesIO

from govcrawl.extract.docx import WordExtract

WORD_IDENT = 0xA5EC
FIRST_WORD97_NFIB = 0x00C1
MAX_CHARS = 50_000_000

_SPRM_PF_IN_TABLE = 0x2416
_SPRM_PF_TTP = 0x2417
_SPRM_P_ITAP = 0x6649
_SPRM_T_DEF_TABLE = 0xD608
_SPRM_P_CHG_TABS = 0xC615
_SPRM_P_HUGE_PAPX = 0x6646  # the paragraph's properties are too large for the page: they lie in the Data stream
_FIXED_OPERAND_SIZE = {0: 1, 1: 1, 2: 2, 3: 4, 4: 2, 5: 2, 7: 3}
_TC80_SIZE = 20

# characters with a meaning in the text stream
_PARAGRAPH_END, _CELL_MARK = "\r", "\x07"
_FIELD_BEGIN, _FIELD_SEPARATOR, _FIELD_END = "\x13", "\x14", "\x15"
# object anchors, footnote marks and optional hyphens go; a non-breaking hyphen is a hyphen
_DROPPED = dict.fromkeys(map(ord, "\x01\x02\x03\x04\x05\x08\x1f"), None) | {0x1E: "-"}


class Word97Error(ValueError):
    """The body is not a Word 97–2003 document this reader can read (the message says why)."""


@dataclass(frozen=True)
class _Piece:
    cp_start: int
    cp_end: int
    fc: int  # byte offset of the piece's first character in the WordDocument stream
    compressed: bool  # 8-bit characters (cp1252) instead of UTF-16LE


@dataclass
class _ParagraphProps:
    in_table: bool = False
    row_end: bool = False
    depth: int = 0
    # from sprmTDefTable on a row end: cell boundaries (twips) and per-cell merge flags
    boundaries: tuple[int, ...] = ()
    merges: tuple[tuple[bool, bool, bool, bool], ...] = ()  # (first_merged, merged, vert_merge, vert_restart)


def _u16(data: bytes, offset: int) -> int:
    return struct.unpack_from("<H", data, offset)[0]


def _u32(data: bytes, offset: int) -> int:
    return struct.unpack_from("<I", data, offset)[0]


@dataclass(frozen=True)
class _Fib:
    table_stream: str
    ccp_text: int
    fc_clx: int
    lcb_clx: int
    fc_bte_papx: int
    lcb_bte_papx: int


def _read_fib(word: bytes) -> _Fib:
    if len(word) < 0x200:
        raise Word97Error("WordDocument stream too short for a File Information Block")
    if _u16(word, 0) != WORD_IDENT:
        raise Word97Error(f"not a Word document (FIB identifier {_u16(word, 0):#06x}, expected {WORD_IDENT:#06x})")
    nfib = _u16(word, 2)
    if nfib < FIRST_WORD97_NFIB:
        raise Word97Error(f"Word 6/95 document (nFib {nfib:#06x}); only Word 97 and later are read")
    flags = _u16(word, 0x0A)
    if flags & 0x0100:
        raise Word97Error("encrypted (password-protected) Word document")
    try:
        position = 32
        csw = _u16(word, position)
        position += 2 + 2 * csw
        cslw = _u16(word, position)
        position += 2
        long_words = struct.unpack_from(f"<{cslw}I", word, position)
        position += 4 * cslw
        pairs = _u16(word, position)
        position += 2
        fc_lcb = struct.unpack_from(f"<{2 * pairs}I", word, position)
    except struct.error as exc:
        raise Word97Error(f"truncated File Information Block: {exc}") from None
    if cslw < 4 or pairs < 34:
        raise Word97Error(f"File Information Block too small (cslw {cslw}, cbRgFcLcb {pairs})")
    return _Fib(table_stream="1Table" if flags & 0x0200 else "0Table", ccp_text=long_words[3],
                fc_clx=fc_lcb[66], lcb_clx=fc_lcb[67], fc_bte_papx=fc_lcb[26], lcb_bte_papx=fc_lcb[27])


def _read_pieces(table: bytes, fib: _Fib) -> list[_Piece]:
    clx = table[fib.fc_clx: fib.fc_clx + fib.lcb_clx]
    if len(clx) != fib.lcb_clx or not clx:
        raise Word97Error("piece table (Clx) lies outside the table stream")
    position = 0
    while position < len(clx) and clx[position] == 0x01:  # Prc: property modifiers, skipped
        position += 3 + struct.unpack_from("<h", clx, position + 1)[0]
    if position + 5 > len(clx) or clx[position] != 0x02:
        raise Word97Error("piece table (Pcdt) not found in the Clx")
    size = _u32(clx, position + 1)
    plc = clx[position + 5: position + 5 + size]
    count = (size - 4) // 12
    if count < 1 or len(plc) < 4 * (count + 1) + 8 * count:
        raise Word97Error("damaged piece table")
    cps = struct.unpack_from(f"<{count + 1}I", plc, 0)
    pieces = []
    for index in range(count):
        raw_fc = _u32(plc, 4 * (count + 1) + 8 * index + 2)
        compressed = bool(raw_fc & 0x40000000)
        fc = raw_fc & 0x3FFFFFFF
        pieces.append(_Piece(cps[index], cps[index + 1], fc // 2 if compressed else fc, compressed))
    return pieces


def _piece_text(word: bytes, piece: _Piece, cp_limit: int) -> str:
    length = max(0, min(piece.cp_end, cp_limit) - piece.cp_start)
    if piece.compressed:
        return word[piece.fc: piece.fc + length].decode("cp1252", errors="replace")
    return word[piece.fc: piece.fc + 2 * length].decode("utf-16-le", errors="replace")


def _sprms(grpprl: bytes):
    """(sprm, operand) pairs of a property-modifier list; stops quietly at a damaged one."""
    position = 0
    while position + 2 <= len(grpprl):
        sprm = _u16(grpprl, position)
        position += 2
        spra = sprm >> 13
        if spra != 6:
            size = _FIXED_OPERAND_SIZE[spra]
        elif sprm == _SPRM_T_DEF_TABLE:
            if position + 2 > len(grpprl):
                return
            size = 2 + max(0, _u16(grpprl, position) - 1)
        elif sprm == _SPRM_P_CHG_TABS and position < len(grpprl) and grpprl[position] == 255:
            return  # a rare variable form we do not need: stop here rather than misread what follows
        elif position < len(grpprl):
            size = 1 + grpprl[position]
        else:
            return
        if position + size > len(grpprl):
            return
        yield sprm, grpprl[position: position + size]
        position += size


def _table_definition(operand: bytes) -> tuple[tuple[int, ...], tuple[tuple[bool, bool, bool, bool], ...]]:
    """Cell boundaries and merge flags from a sprmTDefTable operand (cb, itcMac, rgdxaCenter, rgTc80)."""
    body = operand[2:]
    if not body:
        return (), ()
    cells = body[0]
    if len(body) < 1 + 2 * (cells + 1):
        return (), ()
    boundaries = struct.unpack_from(f"<{cells + 1}h", body, 1)
    merges = []
    tc_start = 1 + 2 * (cells + 1)
    for index in range(cells):
        offset = tc_start + _TC80_SIZE * index
        flags = _u16(body, offset) if offset + 2 <= len(body) else 0
        merges.append((bool(flags & 0x01), bool(flags & 0x02), bool(flags & 0x20), bool(flags & 0x40)))
    return tuple(boundaries), tuple(merges)


def _props_from_grpprl(grpprl: bytes, data_stream: bytes = b"", props: _ParagraphProps | None = None
                       ) -> _ParagraphProps:
    props = props or _ParagraphProps()
    for sprm, operand in _sprms(grpprl):
        if sprm == _SPRM_P_HUGE_PAPX:
            offset = _u32(operand, 0)
            if offset + 2 <= len(data_stream):
                size = _u16(data_stream, offset)
                _props_from_grpprl(data_stream[offset + 2: offset + 2 + size], b"", props)
        elif sprm == _SPRM_PF_IN_TABLE:
            props.in_table = operand[0] == 1
        elif sprm == _SPRM_PF_TTP:
            props.row_end = operand[0] == 1
        elif sprm == _SPRM_P_ITAP:
            props.depth = _u32(operand, 0)
        elif sprm == _SPRM_T_DEF_TABLE:
            props.boundaries, props.merges = _table_definition(operand)
    if props.depth and not props.in_table:
        props.in_table = True
    return props


class _ParagraphIndex:
    """Paragraph properties by stream offset (fc), read from the PAPX formatted disk pages on demand."""

    def __init__(self, word: bytes, table: bytes, data_stream: bytes, fib: _Fib) -> None:
        self._word = word
        self._data_stream = data_stream
        self._pages: dict[int, tuple[tuple[int, ...], list[_ParagraphProps]]] = {}
        plc = table[fib.fc_bte_papx: fib.fc_bte_papx + fib.lcb_bte_papx]
        count = (len(plc) - 4) // 8
        if count < 1:
            raise Word97Error("paragraph property table (PlcBtePapx) missing")
        self._fcs = struct.unpack_from(f"<{count + 1}I", plc, 0)
        self._page_numbers = [n & 0x3FFFFF for n in struct.unpack_from(f"<{count}I", plc, 4 * (count + 1))]

    def _page(self, number: int) -> tuple[tuple[int, ...], list[_ParagraphProps]]:
        if number not in self._pages:
            fkp = self._word[number * 512: number * 512 + 512]
            if len(fkp) < 512:
                raise Word97Error(f"paragraph property page {number} lies outside the document")
            runs = fkp[511]
            fcs = struct.unpack_from(f"<{runs + 1}I", fkp, 0)
            props = []
            for index in range(runs):
                offset = 2 * fkp[4 * (runs + 1) + 13 * index]
                if offset == 0:
                    props.append(_ParagraphProps())
                    continue
                size = fkp[offset]
                if size == 0:
                    data = fkp[offset + 2: offset + 2 + 2 * fkp[offset + 1]]
                else:
                    data = fkp[offset + 1: offset + 2 * size]
                props.append(_props_from_grpprl(data[2:], self._data_stream))  # after the 2-byte style index
            self._pages[number] = (fcs, props)
        return self._pages[number]

    def at(self, fc: int) -> _ParagraphProps:
        slot = bisect_right(self._fcs, fc) - 1
        if slot < 0 or slot >= len(self._page_numbers):
            return _ParagraphProps()
        fcs, props = self._page(self._page_numbers[slot])
        run = bisect_right(fcs, fc) - 1
        return props[run] if 0 <= run < len(props) else _ParagraphProps()


def _drop_field_codes(text: str) -> str:
    """``text`` without field instructions (kept: the field results between separator and end)."""
    if _FIELD_BEGIN not in text:
        return text
    out: list[str] = []
    stack: list[bool] = []  # per open field: True while in its instruction part
    for char in text:
        if char == _FIELD_BEGIN:
            stack.append(True)
        elif char == _FIELD_SEPARATOR and stack:
            stack[-1] = False
        elif char == _FIELD_END and stack:
            stack.pop()
        elif not any(stack):
            out.append(char)
    return "".join(out)


def _clean(text: str) -> str:
    """One paragraph's text on one line: tabs, line and page breaks and no-break spaces become single spaces."""
    return " ".join(text.translate(_DROPPED).split())


class _GridBuilder:
    """Rows of one table, spread over the union of their cell boundaries (merged cells repeated)."""

    def __init__(self) -> None:
        self.rows: list[tuple[list[str], _ParagraphProps]] = []

    def grid(self) -> list[list[str]]:
        edges = sorted({edge for _, props in self.rows for edge in props.boundaries})
        if len(edges) < 2 or any(len(cells) != len(props.boundaries) - 1 for cells, props in self.rows):
            return [cells for cells, _ in self.rows]  # no usable definitions: the cells as they come
        grid: list[list[str]] = []
        for cells, props in self.rows:
            row = [""] * (len(edges) - 1)
            carried = ""
            for index, text in enumerate(cells):
                first_merged, merged, vert_merge, vert_restart = props.merges[index]
                if merged and not first_merged:
                    text = carried  # a horizontally merged cell continues the previous one
                carried = text
                start = edges.index(props.boundaries[index])
                end = edges.index(props.boundaries[index + 1])
                for column in range(start, end):
                    row[column] = text
                if vert_merge and not vert_restart and grid:
                    for column in range(start, end):
                        row[column] = grid[-1][column]
            grid.append(row)
        return grid


def extract_word97(body: bytes) -> WordExtract:
    """Text, table grids and title of a Word 97–2003 binary document; :class:`Word97Error` when unreadable."""
    try:
        return _extract(body)
    except Word97Error:
        raise
    except Exception as exc:  # damaged structures surface as struct/index/olefile errors: name them once, here
        raise Word97Error(f"damaged Word document ({type(exc).__name__}: {exc})"[:300]) from None


def _extract(body: bytes) -> WordExtract:
    import olefile

    try:
        ole = olefile.OleFileIO(BytesIO(body))
    except (OSError, ValueError) as exc:  # olefile raises OSError for a bad compound file
        raise Word97Error(f"not an OLE compound file: {exc}") from None
    with ole:
        if not ole.exists("WordDocument"):
            raise Word97Error("OLE file without a WordDocument stream (not a Word document)")
        word = ole.openstream("WordDocument").read()
        fib = _read_fib(word)
        if not ole.exists(fib.table_stream):
            raise Word97Error(f"table stream {fib.table_stream} missing")
        table = ole.openstream(fib.table_stream).read()
        data_stream = ole.openstream("Data").read() if ole.exists("Data") else b""
        title = None
        try:
            title = (ole.get_metadata().title or b"").decode("utf-8", errors="replace").strip() or None
        except Exception:
            title = None
    if fib.ccp_text > MAX_CHARS:
        raise Word97Error(f"implausible text length {fib.ccp_text}")
    pieces = _read_pieces(table, fib)
    try:
        paragraphs: _ParagraphIndex | None = _ParagraphIndex(word, table, data_stream, fib)
    except Word97Error:
        paragraphs = None  # text without table structure is still worth having
    return _assemble(word, pieces, fib.ccp_text, paragraphs, title)


def _assemble(word: bytes, pieces: list[_Piece], ccp_text: int, paragraphs: _ParagraphIndex | None,
              title: str | None) -> WordExtract:
    lines: list[str] = []
    grids: list[list[list[str]]] = []
    table: _GridBuilder | None = None
    cells: list[str] = []
    cell_parts: list[str] = []
    buffer: list[str] = []

    def close_table() -> None:
        nonlocal table
        if table is not None and table.rows:
            grid = table.grid()
            grids.append(grid)
            lines.extend("\t".join(row) for row in grid)
        table = None

    for piece in pieces:
        if piece.cp_start >= ccp_text:
            break
        text = _piece_text(word, piece, ccp_text)
        width = 1 if piece.compressed else 2
        start = 0
        for index, char in enumerate(text):
            if char not in (_PARAGRAPH_END, _CELL_MARK):
                continue
            buffer.append(text[start:index])
            start = index + 1
            paragraph = _clean(_drop_field_codes("".join(buffer)))
            buffer.clear()
            props = paragraphs.at(piece.fc + index * width) if paragraphs else _ParagraphProps(
                in_table=char == _CELL_MARK)
            cell_end = char == _CELL_MARK and props.depth <= 1  # nested tables' cells stay text of the outer cell
            if not (props.row_end or cell_end or props.in_table):
                close_table()
                if paragraph:
                    lines.append(paragraph)
                continue
            if table is None:
                table = _GridBuilder()
            if props.row_end:
                table.rows.append((cells, props))
                cells = []
            elif cell_end:
                cell_parts.append(paragraph)
                cells.append(" ".join(part for part in cell_parts if part))
                cell_parts = []
            else:
                cell_parts.append(paragraph)  # a paragraph inside a cell that goes on
        buffer.append(text[start:])
    tail = _clean(_drop_field_codes("".join(buffer)))
    close_table()
    if tail:
        lines.append(tail)
    return WordExtract(text="\n".join(lines), grids=grids, title=title)
