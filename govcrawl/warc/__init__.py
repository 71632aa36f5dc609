"""govcrawl.warc: WARC archiving (records, rotating writer, writer process, downloader middleware, repair).

Public API: :class:`WarcWriter`, :class:`RecordLocation` (rotation.py), :class:`ProcessWarcWriter` (process.py),
:class:`WarcRef` (ref.py), :class:`govcrawl.warc.middleware.WarcArchiveMiddleware`, :func:`repair_open_file`,
:func:`repair_directory` (repair.py), :func:`govcrawl.warc.index.write_index`. ``reader.py`` is the rebuild side.
"""

from govcrawl.warc.process import ProcessWarcWriter
from govcrawl.warc.ref import WarcRef
from govcrawl.warc.repair import RepairReport, repair_directory, repair_open_file
from govcrawl.warc.rotation import GroupLocations, RecordLocation, WarcWriter

__all__ = [
    "GroupLocations",
    "ProcessWarcWriter",
    "RecordLocation",
    "RepairReport",
    "WarcRef",
    "WarcWriter",
    "repair_directory",
    "repair_open_file",
]
