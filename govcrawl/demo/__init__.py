"""govcrawl.demo"""
