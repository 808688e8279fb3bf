"""Developer tooling: the local stack, the demo, a REST client of Airflow."""
