"""Settings the plugin adds to Pulp's (merged by pulpcore's dynaconf setup)."""

DRF_ACCESS_POLICY = {
    "dynaconf_merge_unique": True,
    "reusable_conditions": ["pulp_bootfiles.app.global_access_conditions"],
}
