"""Thin Airflow operators over :mod:`flightdeck.aws`: one step of a release each."""
