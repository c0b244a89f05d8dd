"""The plugin's access conditions."""

from types import SimpleNamespace

import pytest
from rest_framework.exceptions import ValidationError

from pulp_bootfiles.app.global_access_conditions import has_remote_param_view_perms


@pytest.mark.parametrize("remote", [1.5, 7, ["/pulp/api/v3/remotes/bootfiles/bootfiles/x/"], {}])
def test_a_remote_that_is_no_href_is_the_requests_error(remote):
    request = SimpleNamespace(data={"remote": remote})
    if not remote:  # empty: the request names no remote
        assert has_remote_param_view_perms(request, None, "sync") is True
        return
    with pytest.raises(ValidationError) as refused:
        has_remote_param_view_perms(request, None, "sync")
    assert refused.value.detail["remote"] == "Expected the href or PRN of a remote."
