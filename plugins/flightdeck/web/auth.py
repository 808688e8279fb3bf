"""Who is asking and what they may read, decided by Airflow's own auth manager.

Airflow adds no authentication to a plugin's FastAPI app: every route depends on :func:`current_viewer`. The user
comes from Airflow's ``get_user`` (a ``Authorization: Bearer`` token, else the UI's ``_token`` cookie, which the
browser sends to this same-origin app and Airflow's ``JWTRefreshMiddleware`` also refreshes). An application's
releases are readable by whoever the auth manager lets read the runs of its release DAG (``release__<app>``).
Airflow is imported only when a request arrives, inside the api-server.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from flightdeck import naming

if TYPE_CHECKING:
    from airflow.api_fastapi.auth.managers.models.base_user import BaseUser

_bearer = HTTPBearer(auto_error=False)


@dataclass(frozen=True)
class Viewer:
    """An authenticated user of the page and the release DAGs they may read.

    :param name: the user's name, as the auth manager tells it.
    :param readable_dag_ids: keeps the DAG ids whose runs the user may read, out of those given.
    """

    name: str
    readable_dag_ids: Callable[[Collection[str]], set[str]]

    def readable(self, applications: Collection[str]) -> set[str]:
        """The applications, out of ``applications``, whose release DAG the viewer may read."""
        by_dag = {naming.dag_id(application): application for application in applications}
        return {by_dag[dag_id] for dag_id in self.readable_dag_ids(set(by_dag))}

    def require(self, application: str) -> None:
        """Raise 403 unless the viewer may read ``application``'s release DAG."""
        if not self.readable({application}):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                f"You may not read the releases of {application!r}: no read access to the runs of DAG "
                f"{naming.dag_id(application)!r}",
            )


async def current_viewer(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Viewer:
    """The request's :class:`Viewer`; 401 without a valid token (Airflow's own says 403 for a malformed one)."""
    from airflow.api_fastapi.core_api.security import get_user

    try:
        user = await get_user(request, None, credentials)
    except HTTPException as err:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            f"Not authenticated ({err.detail}): log in to Airflow, or send an Airflow token as a Bearer header",
            headers={"WWW-Authenticate": "Bearer"},
        ) from err
    return Viewer(name=user.get_name(), readable_dag_ids=lambda dag_ids: readable_dag_ids(user, dag_ids))


def readable_dag_ids(user: BaseUser, dag_ids: Collection[str]) -> set[str]:
    """The DAG ids whose runs ``user`` may read, asking the auth manager per DAG (with its team, as Airflow's
    ``requires_access_dag`` does); DAGs no longer in Airflow are checked by id alone."""
    from airflow.api_fastapi.app import get_auth_manager
    from airflow.api_fastapi.auth.managers.models.resource_details import DagAccessEntity, DagDetails
    from airflow.models.dag import DagModel

    if not dag_ids:
        return set()
    teams = DagModel.get_dag_id_to_team_name_mapping(sorted(dag_ids))
    manager = get_auth_manager()
    return {
        dag_id
        for dag_id in dag_ids
        if manager.is_authorized_dag(
            method="GET",
            access_entity=DagAccessEntity.RUN,
            details=DagDetails(id=dag_id, team_name=teams.get(dag_id)),
            user=user,
        )
    }


def login_url(next_url: str) -> str | None:
    """The auth manager's login page, coming back to ``next_url``; None when Airflow cannot say."""
    try:
        from airflow.api_fastapi.app import get_auth_manager

        return get_auth_manager().get_url_login(next_url=next_url)
    except Exception:  # the error page must render whatever the auth manager does
        return None
