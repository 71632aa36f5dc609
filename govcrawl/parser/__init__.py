"""govcrawl.parser"""
