"""Airflow local settings: import Flightdeck once when each component starts (docs/operations.md).

Airflow puts ``$AIRFLOW_HOME/config`` on ``sys.path`` and imports this module in every component. With Flightdeck
imported, and botocore's models for the services it calls loaded (no AWS call), before a component forks its task
processes, a task's process neither imports nor loads them again. Cluster policies (``task_policy``,
``dag_policy``) would go here too.
"""

import flightdeck.pipeline  # noqa: F401
from flightdeck.aws.session import warm_models

warm_models()
