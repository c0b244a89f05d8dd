"""
Schemathesis hooks for test_openapi_conformance: pulpcore-wide quirks the check must not
blame on this plugin, each corrected as narrowly as possible so everything else stays checked.

1. pulpcore declares every href (`pulp_href`, `artifact`, `latest_version_href`, ...) as
   `format: uri`, but the values are relative references (`/pulp/api/v3/...`), as all Pulp
   bindings expect. They are declared `uri-reference` here, which is what they are.
2. Fields of pulpcore's base serializers that it returns as null while their schema does not
   allow null, for every plugin: `vuln_report` (content), `content_guard_prn` and
   `no_content_change_since` (distributions), `headers` (remotes). They are made nullable here.
3. pulpcore answers 500 to an unknown filter whose *name* contains `%` (its "Invalid Filter"
   message is %-formatted a second time by django-filters), on every endpoint of every plugin.
   Such query strings are not generated.
4. pulpcore answers 500 to a date-time filter (`pulp_last_updated__lte`, ...) whose UTC
   offset PostgreSQL cannot take (beyond +-15:59, "time zone displacement out of range"), on
   every endpoint of every plugin (`/remotes/file/file/` too, pulpcore 3.105 and 3.123), and
   to a `__range` filter with such a value at either end. Such values are not generated.
5. pulpcore 3.105 answers `fields=<a name no object has>` with objects that have no field at
   all (`{}`, breaking every schema), on every plugin's lists (`/repositories/file/file/` too).
   `fields` values are drawn from the field names the schema declares.
6. pulpcore answers 500 to `orphaned_for=<minutes>` reaching back before year 1 (Python's
   datetime overflows: 1100000000 fails, 1000000000 does not), on every content list of every
   plugin (`/content/file/files/` too; pulpcore 3.105 and 3.123). Such values are not generated.
"""

import math
from datetime import datetime, timedelta

import schemathesis

# PostgreSQL's widest time zone displacement.
POSTGRES_MAX_OFFSET = timedelta(hours=15, minutes=59)

PULPCORE_NULLABLE = ("vuln_report", "content_guard_prn", "no_content_change_since", "headers")

# Every property name the schema declares (filled when it loads), what `fields` may name.
DECLARED_FIELDS = set()


def _types(node):
    kind = node.get("type")
    return kind if isinstance(kind, list) else [kind]


def _fix_pulpcore_conventions(node):
    if isinstance(node, dict):
        if node.get("format") == "uri" and "string" in _types(node):
            node["format"] = "uri-reference"
        properties = node.get("properties", {})
        if isinstance(properties, dict):
            DECLARED_FIELDS.update(properties)
        for name in PULPCORE_NULLABLE:
            if isinstance(properties.get(name), dict) and "null" not in _types(properties[name]):
                properties[name]["type"] = [*_types(properties[name]), "null"]
        for value in node.values():
            _fix_pulpcore_conventions(value)
    elif isinstance(node, list):
        for value in node:
            _fix_pulpcore_conventions(value)


@schemathesis.hook
def before_load_schema(context, raw_schema):
    _fix_pulpcore_conventions(raw_schema)


def _listed(value):
    return value if isinstance(value, list) else [value]


def _orphaned_for_overflows(value):
    """Whether pulpcore's `orphaned_for` (minutes before now) reaches back before year 1."""
    try:
        minutes = float(value)
    except (TypeError, ValueError):
        return False
    try:
        datetime.now() - timedelta(minutes=minutes)
    except (OverflowError, ValueError):
        return math.isfinite(minutes)
    return False


def _offset_out_of_range(value):
    # A `__range` filter takes two date-times, comma separated.
    return any(_one_offset_out_of_range(end) for end in str(value).split(","))


def _one_offset_out_of_range(value):
    try:
        offset = datetime.fromisoformat(value).utcoffset()
    except ValueError:
        return False
    return offset is not None and abs(offset) > POSTGRES_MAX_OFFSET


@schemathesis.hook
def filter_query(context, query):
    query = query or {}
    if any("%" in str(name) for name in query):
        return False
    fields = query.get("fields", [])
    if any(not isinstance(name, str) or name not in DECLARED_FIELDS for name in _listed(fields)):
        return False
    if any(_orphaned_for_overflows(value) for value in _listed(query.get("orphaned_for", []))):
        return False
    values = (value for listed in query.values() for value in _listed(listed))
    return not any(_offset_out_of_range(value) for value in values)
