"""An auth manager for the Releases page's auth tests: Airflow's SimpleAuthManager, except that the user
``outsider`` may not read the DAG ``release__hello``.

SimpleAuthManager lets every role read every DAG; this stands in for a real per-DAG policy (FAB roles, Keycloak...).
The test api-server loads it by ``AIRFLOW__CORE__AUTH_MANAGER=outsider_auth_manager.OutsiderAuthManager``.
"""

from __future__ import annotations

from typing import Any

from airflow.api_fastapi.auth.managers.simple.simple_auth_manager import SimpleAuthManager

OUTSIDER = "outsider"
HIDDEN_DAG = "release__hello"


class OutsiderAuthManager(SimpleAuthManager):
    """SimpleAuthManager denying :data:`OUTSIDER` every access to :data:`HIDDEN_DAG`."""

    def is_authorized_dag(self, *, method: Any, user: Any, access_entity: Any = None, details: Any = None) -> bool:
        if user.get_name() == OUTSIDER and details is not None and details.id == HIDDEN_DAG:
            return False
        return super().is_authorized_dag(method=method, user=user, access_entity=access_entity, details=details)
