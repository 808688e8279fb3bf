"""Airflow local settings: import Flightdeck once when each component starts (docs/operations.md).

Airflow puts ``$AIRFLOW_HOME/config`` on ``sys.path`` and imports this module in every component. With Flightdeck
imported before a component forks its task processes, a task's process does not import it again before it parses
its DAG. Cluster policies (``task_policy``, ``dag_policy``) would go here too.
"""

import flightdeck.pipeline  # noqa: F401
