"""The phone rule the callback form checks in the browser, taken from the same
`phonenumbers` metadata the server validates with (leads.forms.normalize_phone).

`GET /public/v1/lead-form` carries it as `phone`; the widget applies it before it
sends (chat/static/chat/widget/73-phone.js) so a wrong number is named together with
every other error, not after a round trip. The rule, for the site's region:

- spaces, hyphens, dots, slashes and brackets are ignored; what is left must be
  digits, with an optional leading `+`;
- `+<country code of the region>…` and numbers without `+` are the region's numbers:
  the national prefix (`national_prefix`, a pattern: `0` in Korea, with carrier
  codes) is dropped as `phonenumbers` drops it, and the rest must match one of the
  region's number types (`pattern`: mobile, fixed line, toll free, ... joined);
- another country's number (`+` with another code, or the region's international
  call prefix, `international_prefix`: 00... in Korea, 011 in the US) is only
  checked for length (3 to 17 digits) in the browser: the server reads it with that
  country's metadata; letters or an extension are left to the server too.

The browser never refuses a number the server takes; for the region's own numbers
the two agree (tests/leads/test_phone_rule.py checks both on generated numbers).
"""

from __future__ import annotations

from functools import cache

from phonenumbers import region_codes_for_country_code
from phonenumbers.phonemetadata import PhoneMetadata

_TYPES = (
    "fixed_line",
    "mobile",
    "toll_free",
    "premium_rate",
    "shared_cost",
    "personal_number",
    "voip",
    "pager",
    "uan",
    "voicemail",
)


@cache
def phone_rule(region: str) -> dict | None:
    """The rule for `region` (ISO 3166 code), or None for a region `phonenumbers`
    does not know (then the browser leaves the number to the server). Regions that
    share the country code (+1: the US, Canada, ...) add their patterns: the server
    takes their numbers too."""
    meta = PhoneMetadata.metadata_for_region(region.upper())
    if meta is None or meta.general_desc is None or meta.national_prefix_transform_rule:
        return None  # (a prefix that rewrites the number: the server alone checks)
    regions = [meta] + [
        other
        for code in region_codes_for_country_code(meta.country_code)
        if code != region.upper()
        and (other := PhoneMetadata.metadata_for_region(code)) is not None
    ]
    patterns = [
        desc.national_number_pattern
        for each in regions
        for desc in (getattr(each, name) for name in _TYPES)
        if desc is not None and desc.national_number_pattern
    ]
    return {
        "region": region.upper(),
        "country_code": meta.country_code,
        "national_prefix": meta.national_prefix_for_parsing
        or meta.national_prefix
        or "",
        "international_prefix": meta.international_prefix or "",
        "general": meta.general_desc.national_number_pattern,
        "lengths": sorted(meta.general_desc.possible_length or ()),
        "pattern": "|".join(f"(?:{p})" for p in dict.fromkeys(patterns)),
    }
