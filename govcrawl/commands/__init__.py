"""Subcommands of the govcrawl console script that belong to no larger module."""
