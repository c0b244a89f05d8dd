"""The netboot package imports without Django: the boot-server consumer has none of the server."""

import pkgutil
import subprocess
import sys

import pulp_glue.bootfiles.netboot as netboot

MODULES = sorted(
    module.name for module in pkgutil.iter_modules(netboot.__path__, "pulp_glue.bootfiles.netboot.")
)


def test_every_module_is_checked():
    assert {"pulp_glue.bootfiles.netboot.constants", "pulp_glue.bootfiles.netboot.oci"} <= set(
        MODULES
    )


def test_the_package_imports_without_django():
    imports = "".join(f"import {name}; " for name in MODULES)
    check = "import sys; assert 'django' not in sys.modules, sorted(sys.modules)"
    # A plain interpreter: pytest-django's settings must not be what keeps Django out.
    subprocess.run([sys.executable, "-c", imports + check], check=True, env={})


def test_the_check_sees_django():
    check = "import pulp_bootfiles.app; import sys; assert 'django' not in sys.modules"
    result = subprocess.run([sys.executable, "-c", check], capture_output=True, env={})
    assert result.returncode != 0 and b"AssertionError" in result.stderr
