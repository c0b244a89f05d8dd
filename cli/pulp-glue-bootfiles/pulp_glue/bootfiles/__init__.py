"""pulp-glue contexts for the pulp_bootfiles Pulp plugin."""

__version__ = "0.1.0.dev0"
