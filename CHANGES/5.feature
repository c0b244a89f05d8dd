A private bootfiles distribution without a content guard gets pulp_container's content-redirect
guard, so its plain files are refused to anonymous requests as its registry pulls are; tests for
RBAC, content guards, private registry pulls with token auth, domains and S3 storage, run partly
on a second stack that `dev/stack.sh` now supports (`BOOTFILES_EXTRA_SETTINGS`).
