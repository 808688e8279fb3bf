"""Flightdeck: release pipelines for multi-account AWS, run on Apache Airflow."""
