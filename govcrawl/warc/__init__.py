"""govcrawl.warc"""
