"""Which targeting rule a lead came from. leads knows no rules: the app that shows
offers (targeting) registers a resolver in its `AppConfig.ready()`."""

from __future__ import annotations

from collections.abc import Callable

# resolver(visitor=..., offer_id=..., from_targeting=...) -> rule id or None
Resolver = Callable[..., int | None]
_resolvers: list[Resolver] = []


def register(resolver: Resolver) -> None:
    if resolver not in _resolvers:
        _resolvers.append(resolver)


def lead_rule(*, visitor, offer_id, from_targeting: bool) -> int | None:
    """The rule of the visitor's own offer a form came from: the offer named, else
    (a form the visitor opened from an offer) their latest fitting one."""
    if visitor is None:
        return None
    for resolver in _resolvers:
        rule_id = resolver(
            visitor=visitor, offer_id=offer_id, from_targeting=from_targeting
        )
        if rule_id is not None:
            return rule_id
    return None
