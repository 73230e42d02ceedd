"""Maintainer tools that only a checkout uses: the series runner and the shared-code export.

Not part of the installed package; run them from the repository root (``make run``,
``make export``).
"""
