"""Access policies and locked roles, built once from the model name instead of written out."""

APP = "bootfiles"


def _perm(model, action):
    return f"{APP}.{action}_{model}"


def owned_object_policy(model, extra_actions=(), create_conditions=(), change_conditions=()):
    """
    The Pulp access policy of a user-created object (remote, repository, distribution).

    Anyone authenticated may list (queryset scoping hides what they may not view); creating
    needs the model's add permission; everything else needs the object permission. Each
    `extra_actions` item is `(action, permission action)`, e.g. `("sync", "sync")`.
    """
    view = f"has_model_or_domain_or_obj_perms:{_perm(model, 'view')}"

    def obj(action):
        return f"has_model_or_domain_or_obj_perms:{_perm(model, action)}"

    statements = [
        {
            "action": ["list", "retrieve", "my_permissions"],
            "principal": "authenticated",
            "effect": "allow",
        },
        {
            "action": ["create"],
            "principal": "authenticated",
            "effect": "allow",
            "condition": [f"has_model_or_domain_perms:{_perm(model, 'add')}", *create_conditions],
        },
        {
            "action": ["update", "partial_update", "set_label", "unset_label"],
            "principal": "authenticated",
            "effect": "allow",
            "condition": [obj("change"), view, *change_conditions],
        },
        {
            "action": ["destroy"],
            "principal": "authenticated",
            "effect": "allow",
            "condition": [obj("delete"), view],
        },
        {
            "action": ["list_roles", "add_role", "remove_role"],
            "principal": "authenticated",
            "effect": "allow",
            "condition": [obj("manage_roles")],
        },
    ]
    for action, permission in extra_actions:
        statements.append(
            {
                "action": [action],
                "principal": "authenticated",
                "effect": "allow",
                "condition": [obj(permission), view, *change_conditions],
            }
        )
    return {
        "statements": statements,
        "creation_hooks": [
            {
                "function": "add_roles_for_object_creator",
                "parameters": {"roles": f"{APP}.{model}_owner"},
            },
        ],
        "queryset_scoping": {"function": "scope_queryset"},
    }


def locked_roles(model, extra_permissions=()):
    """The creator/owner/viewer roles of a user-created object."""
    owner = ["view", "change", "delete", "manage_roles", *extra_permissions]
    return {
        f"{APP}.{model}_creator": [_perm(model, "add")],
        f"{APP}.{model}_owner": [_perm(model, action) for action in owner],
        f"{APP}.{model}_viewer": [_perm(model, "view")],
    }


def repository_version_policy(repository_model):
    """Versions follow the permissions of their repository."""

    def repo(action):
        return f"has_repository_model_or_domain_or_obj_perms:{_perm(repository_model, action)}"

    return {
        "statements": [
            {
                "action": ["list", "retrieve"],
                "principal": "authenticated",
                "effect": "allow",
                "condition": repo("view"),
            },
            {
                "action": ["destroy"],
                "principal": "authenticated",
                "effect": "allow",
                "condition": [repo("delete"), repo("view")],
            },
            {
                "action": ["repair"],
                "principal": "authenticated",
                "effect": "allow",
                "condition": [repo("repair"), repo("view")],
            },
        ],
    }


# Content is made by sync only: it can be read (scoped to the repositories a user can see)
# and labelled, as pulpcore's own content types allow.
CONTENT_POLICY = {
    "statements": [
        {"action": ["list", "retrieve"], "principal": "authenticated", "effect": "allow"},
        {
            "action": ["set_label", "unset_label"],
            "principal": "authenticated",
            "effect": "allow",
            "condition": ["has_model_or_domain_perms:core.manage_content_labels"],
        },
    ],
    "queryset_scoping": {"function": "scope_queryset"},
}
