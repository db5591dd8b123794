"""Every route of a URL configuration, flattened: what the access-matrix and throttling tests iterate over."""
from __future__ import annotations

from typing import Iterator

from django.urls import URLPattern, URLResolver


def walk(resolver: URLResolver, prefix: str = "", namespace: str = "") -> Iterator[tuple[str, object, str]]:
    """(route, callback, name) for every pattern; route is the concatenated pattern text, name is
    'namespace:name' (or '' when the pattern has none)."""
    for p in resolver.url_patterns:
        if isinstance(p, URLResolver):
            ns = namespace
            if p.namespace:
                ns = f"{namespace}:{p.namespace}" if namespace else p.namespace
            yield from walk(p, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            name = f"{namespace}:{p.name}" if namespace and p.name else (p.name or "")
            yield prefix + str(p.pattern), p.callback, name
