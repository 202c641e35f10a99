"""Compressed responses (flask-compress, Dash's `compress=True`) without compressing the same
bundle again for every visitor: fingerprinted bundles never change, so their compressed bytes
are kept per (algorithm, URL); pages and callback JSON are compressed per response."""

from __future__ import annotations

import threading
from collections import OrderedDict

from flask import Flask, Request

BUNDLE_PREFIXES = ("/_dash-component-suites/", "/assets/")
NOT_KEPT = "-"  # the key of a response that must not be kept (it differs per request)
MAX_BUNDLES = 64  # Dash serves ~20 bundles; each algorithm keeps its own copy


class BundleCache:
    """A small LRU of compressed fingerprinted bundles; everything else passes through."""

    def __init__(self, size: int = MAX_BUNDLES) -> None:
        self.size = size
        self._items: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def set(self, key: str, value: bytes) -> None:
        if key.endswith(NOT_KEPT):
            return
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)


def bundle_key(request: Request) -> str:
    """The URL of a fingerprinted GET (`...v4_4_1m123.js`, `/assets/x.css?m=123`), else '-'."""
    fingerprinted = "m=" in request.query_string.decode("latin-1") or ".v" in request.path
    if request.method == "GET" and request.path.startswith(BUNDLE_PREFIXES) and fingerprinted:
        return request.full_path
    return NOT_KEPT


def configure(server: Flask) -> None:
    """Settings flask-compress reads when Dash initialises it on `server`."""
    server.config["COMPRESS_CACHE_BACKEND"] = BundleCache
    server.config["COMPRESS_CACHE_KEY"] = bundle_key
