The content app answers a bootfiles distribution's paths about twice as fast per request: a
request without credentials reaches the plugin's route without pulpcore's authentication
middleware first, which cannot change its answer (it read the domain's row and ran DRF's
authentication on the content app's one database thread for every request). Requests with
credentials, and everything the route leaves to pulpcore, are authenticated as before.
`BOOTFILES_CONTENT_FAST_LANE = False` turns it off.
With pulpcore's Redis cache on, per-machine probe names without credentials are now answered
by the route too (one shared row read) instead of pulpcore's cached handler.
