"""Scrapy spiders: discovery only."""
