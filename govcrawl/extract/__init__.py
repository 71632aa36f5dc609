"""govcrawl.extract"""
