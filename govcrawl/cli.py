"""The ``govcrawl`` console script. Each subcommand lives in the module that owns its concern.

A subcommand module exposes ``add_arguments(parser)`` and ``run(args) -> int``.
"""

from __future__ import annotations

import argparse
import importlib
import sys

#: subcommand -> (module, one-line help)
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "parse": ("govcrawl.commands.parse", "parse one report file (.html/.txt/.pdf/.docx/.doc, or - for stdin) to JSON"),
    "demo": ("govcrawl.demo.run", "start the bundled demo portal on 127.0.0.1, crawl it, write archive/"),
    "crawl": ("govcrawl.commands.crawl", "run the gov_reports spider (same as scrapy crawl gov_reports)"),
    "rebuild": ("govcrawl.rebuild", "rebuild report items (and the catalog) from WARC files, offline"),
    "repair": ("govcrawl.warc.repair", "repair .warc.gz.open files left by a crash and close them"),
    "index": ("govcrawl.warc.index", "write a CDXJ index of WARC files"),
    "nightly": ("govcrawl.nightly", "incremental crawl for cron/systemd with a run report"),
    "export": ("govcrawl.export", "export the catalog to JSONL, CSV or Parquet"),
    "portal": ("govcrawl.demo.serve", "serve the mock portal on 127.0.0.1 until interrupted"),
    "explain": ("govcrawl.discovery.explain", "print, for a list page, each link taken or refused and why"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="govcrawl", description=__doc__.splitlines()[0])
    from govcrawl import __version__

    parser.add_argument("--version", action="version", version=f"govcrawl {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module_name, help_text) in SUBCOMMANDS.items():
        sub_parser = sub.add_parser(name, help=help_text, description=help_text)
        sub_parser.set_defaults(_module=module_name)
        try:
            module = importlib.import_module(module_name)
        except ImportError:  # a subcommand whose module is not built yet
            continue
        module.add_arguments(sub_parser)
    from govcrawl.commands.find_columns import add_find_columns_commands

    add_find_columns_commands(sub)  # find-columns, sites check (issue 14)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    module = importlib.import_module(args._module)
    try:
        return int(module.run(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
