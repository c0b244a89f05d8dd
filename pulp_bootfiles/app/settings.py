"""Settings the plugin adds to Pulp's (merged by pulpcore's dynaconf setup)."""

DRF_ACCESS_POLICY = {
    "dynaconf_merge_unique": True,
    "reusable_conditions": ["pulp_bootfiles.app.global_access_conditions"],
}

# Checks pushes into bootfiles distributions before pulp_container stores them (appended).
MIDDLEWARE = [
    "dynaconf_merge",
    "pulp_bootfiles.app.oci.push_in.middleware.BootfilesPushMiddleware",
]

# Answer bootfiles distributions' paths in the content app with one query instead of pulpcore's
# distribution match (`app/content.py`, `serving/route.py`); other paths are left to pulpcore.
BOOTFILES_CONTENT_ROUTE = True

# Requests without credentials to the plugin's content-app routes skip pulpcore's
# authentication middleware, which cannot change their answer (`serving/fast_lane.py`).
BOOTFILES_CONTENT_FAST_LANE = True

# Each content-app process moves the objects it holds once started (modules, settings, apps) out
# of the garbage collector's sight, so a full collection does not stall a boot storm
# (`serving/startup.py`).
BOOTFILES_CONTENT_GC_FREEZE = True
# Each content-app process builds the indexes of the versions bootfiles distributions serve
# before it accepts a connection, so a rack right after a restart does not wait for them
# (`serving/startup.py`).
BOOTFILES_CONTENT_WARM_UP = True
