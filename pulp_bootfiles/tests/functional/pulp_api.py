"""A small client for the live Pulp REST API, used by the functional tests."""

import os
import time

import requests

API = os.environ.get("BOOTFILES_API", "http://127.0.0.1:24817")
CONTENT = os.environ.get("BOOTFILES_CONTENT", "http://127.0.0.1:24816")
API_ROOT = "/pulp/api/v3/"


class TaskFailed(AssertionError):
    def __init__(self, task):
        super().__init__(f"task {task['pulp_href']} {task['state']}: {task.get('error')}")
        self.task = task


class PulpAPI:
    """Requests against the API as admin, with helpers for hrefs, pagination and tasks."""

    def __init__(self, base=API, auth=("admin", "password")):
        self.base = base
        self.session = requests.Session()
        self.session.auth = auth

    def url(self, href):
        return href if href.startswith("http") else self.base + href

    def request(self, method, href, expect=None, **kwargs):
        response = self.session.request(method, self.url(href), timeout=60, **kwargs)
        if expect is not None:
            assert response.status_code == expect, (response.status_code, response.text)
        return response

    def get(self, href, **params):
        return self.request("GET", href, expect=200, params=params).json()

    def post(self, href, body, expect=None):
        return self.request("POST", href, json=body, expect=expect)

    def delete(self, href):
        return self.request("DELETE", href)

    def list(self, href, **params):
        """Every result of a paginated list."""
        results, page = [], self.get(href, **params)
        while True:
            results.extend(page["results"])
            if not page.get("next"):
                return results
            page = self.request("GET", page["next"], expect=200).json()

    def wait(self, task_href, timeout=300, poll=0.3):
        """Wait for a task to finish, asking every `poll` s; returns it, or raises TaskFailed."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            task = self.get(task_href)
            if task["state"] in ("completed", "failed", "canceled"):
                if task["state"] != "completed":
                    raise TaskFailed(task)
                return task
            time.sleep(poll)
        raise AssertionError(f"task {task_href} did not finish in {timeout} s")

    def run(self, href, body):
        """POST an action that dispatches a task, wait for it and return the finished task."""
        response = self.post(href, body, expect=202)
        return self.wait(response.json()["task"])
