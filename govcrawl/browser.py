"""Placeholder on the addon branch: the spider helper's branch brings the real ``govcrawl/browser.py``
(ChallengeMiddleware, OnDemandPlaywrightHandler and the cookie helpers moved out of middlewares.py).
Take that file at merge; this one only lets the add-on name the final dotted paths."""

from govcrawl.middlewares import ChallengeMiddleware, OnDemandPlaywrightHandler

__all__ = ["ChallengeMiddleware", "OnDemandPlaywrightHandler"]
