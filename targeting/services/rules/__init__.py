"""Rules of a site beyond the engine.

- validation at save: ``Rule.clean()`` with the pure ``targeting.engine.validation``
  (messages by field, each naming its JSON path);
- ``compiled``: a rule compiled for the runtime (``rule_compile``, ``RuleSpec``), a
  site's rules in force (``SiteRules``) and their per-process cache (``site_rules``,
  ``site_rules_peek``, ``site_rules_stale``, ``rules_changed``);
- ``policy``: what the engine does not decide, frequency caps, active dates and
  hours, the holdout split (``rule_blockers``, ``rule_allowed``, ``variant_for``).

The visitor's earlier offers, which the caps read, come from
``targeting.selectors.offer_history``.
"""

from targeting.services.rules.compiled import (
    RULES_TTL_SECONDS,
    VERSION_CHECK_SECONDS,
    RuleSpec,
    SiteRules,
    rule_compile,
    rules_cache,
    rules_cache_clear,
    rules_changed,
    site_rules,
    site_rules_peek,
    site_rules_stale,
)
from targeting.services.rules.policy import (
    HOLDOUT,
    TREATMENT,
    History,
    RuleSettings,
    rule_allowed,
    rule_blockers,
    variant_for,
)

__all__ = [
    "HOLDOUT",
    "RULES_TTL_SECONDS",
    "TREATMENT",
    "VERSION_CHECK_SECONDS",
    "History",
    "RuleSettings",
    "RuleSpec",
    "SiteRules",
    "rule_allowed",
    "rule_blockers",
    "rule_compile",
    "rules_cache",
    "rules_cache_clear",
    "rules_changed",
    "site_rules",
    "site_rules_peek",
    "site_rules_stale",
    "variant_for",
]
