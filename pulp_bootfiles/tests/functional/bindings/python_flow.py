"""The sync flow through the generated Python clients (pulpcore.client.pulp_bootfiles, with
pulpcore.client.pulpcore for the task), run by test_bindings.py in the venv dev/bindings.sh
installs them into. Prints what it made and listed as JSON on stdout.

Environment: BOOTFILES_API, BINDINGS_AUTH (user:password), BINDINGS_NAME, BINDINGS_REMOTE_URL.
"""

import json
import os
import time

from pulpcore.client import pulp_bootfiles, pulpcore

TASK_TIMEOUT = 300  # seconds, as PulpAPI.wait

user, password = os.environ["BINDINGS_AUTH"].split(":", 1)
name = os.environ["BINDINGS_NAME"]


def client(module):
    configuration = module.Configuration(
        host=os.environ["BOOTFILES_API"], username=user, password=password
    )
    return module.ApiClient(configuration)


bootfiles, core = client(pulp_bootfiles), client(pulpcore)
tasks = pulpcore.TasksApi(core)


def wait(task_href):
    deadline = time.monotonic() + TASK_TIMEOUT
    while (task := tasks.read(task_href)).state != "completed":
        if task.state in ("failed", "canceled"):
            raise RuntimeError(f"task {task_href} {task.state}: {task.error}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"task {task_href} not finished in {TASK_TIMEOUT} s")
        time.sleep(0.3)
    return task


remote = pulp_bootfiles.RemotesBootfilesApi(bootfiles).create(
    pulp_bootfiles.BootfilesBootfilesRemote(name=name, url=os.environ["BINDINGS_REMOTE_URL"])
)
repositories = pulp_bootfiles.RepositoriesBootfilesApi(bootfiles)
repository = repositories.create(pulp_bootfiles.BootfilesBootfilesRepository(name=name))
sync = repositories.sync(
    repository.pulp_href,
    pulp_bootfiles.BootfilesRepositorySync(remote=remote.pulp_href, mirror=True),
)
wait(sync.task)
version = repositories.read(repository.pulp_href).latest_version_href
files = pulp_bootfiles.ContentFilesApi(bootfiles).list(repository_version=version, limit=1000)

print(
    json.dumps(
        {
            "remote": remote.pulp_href,
            "repository": repository.pulp_href,
            "version": version,
            "count": files.count,
            # to_dict() leaves out read-only fields such as pulp_href: it shapes request bodies.
            "files": [f.model_dump(mode="json") for f in files.results],
        }
    )
)
