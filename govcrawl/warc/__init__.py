"""govcrawl.warc: WARC archiving (writer, records, downloader middleware, repair, CDXJ index).

Public API: :class:`WarcWriter`, :class:`BackgroundWarcWriter`, :class:`ProcessWarcWriter`, :class:`WarcRef` (writer.py),
:class:`govcrawl.warc.middleware.WarcArchiveMiddleware`, :func:`repair_open_file`, :func:`repair_directory`
(repair.py), :func:`govcrawl.warc.index.write_index`. ``reader.py`` (rebuild side) belongs to extract.
"""

from govcrawl.warc.repair import RepairReport, repair_directory, repair_open_file
from govcrawl.warc.writer import BackgroundWarcWriter, ProcessWarcWriter, RecordLocation, WarcRef, WarcWriter

__all__ = [
    "BackgroundWarcWriter",
    "ProcessWarcWriter",
    "RecordLocation",
    "RepairReport",
    "WarcRef",
    "WarcWriter",
    "repair_directory",
    "repair_open_file",
]
