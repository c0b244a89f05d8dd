Runs on the pulpcore LTS line Katello 4.21 ships: the plugin now declares pulpcore
`>=3.105.3,<3.124` and pulp-container `>=2.27.14,<2.31`, its migrations apply there, pushes into
bootfiles distributions work on pulp-container 2.27, and CI tests both ends of the range. See
docs/admin/installation.md for the compatibility table and the install steps on a Katello server.
