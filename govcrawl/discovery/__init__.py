"""govcrawl.discovery"""
