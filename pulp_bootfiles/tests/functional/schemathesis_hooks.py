"""
Schemathesis hooks for test_openapi_conformance: two pulpcore-wide quirks the check must not
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
"""

import schemathesis

PULPCORE_NULLABLE = ("vuln_report", "content_guard_prn", "no_content_change_since", "headers")


def _types(node):
    kind = node.get("type")
    return kind if isinstance(kind, list) else [kind]


def _fix_pulpcore_conventions(node):
    if isinstance(node, dict):
        if node.get("format") == "uri" and "string" in _types(node):
            node["format"] = "uri-reference"
        properties = node.get("properties", {})
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


@schemathesis.hook
def filter_query(context, query):
    return not any("%" in str(name) for name in (query or {}))
