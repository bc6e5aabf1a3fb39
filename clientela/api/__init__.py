"""The JSON API (Django Ninja): ``/api/v1/...``, docs at ``/api/docs``."""

from __future__ import annotations


def api_operations() -> list[tuple[str, str, str]]:
    """Every API operation as (METHOD, path template, operation_id); see ``clientela.api.api``."""
    # Imported here: this package is an installed app, loaded before the models the routers need.
    from clientela.api.api import api_operations as operations

    return operations()
