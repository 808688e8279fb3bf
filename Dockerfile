# syntax=docker/dockerfile:1
# Flightdeck's Airflow image: the official Airflow image plus the pinned lock. docs/operations.md explains each target.
#
#   airflow     what docker-compose.yaml runs: dags/, plugins/ and include/ are mounted, not copied
#   local-aws   the local AWS emulator (moto plus Flightdeck's fixes), for development only
#   production  airflow + dags/, plugins/ and include/ copied in (the default target: `docker build .`)
#
# The base image's Airflow and Python must be the lock's: apache-airflow==3.3.2 in requirements.txt, which is compiled
# for Python 3.11 (tests/unit/deploy/test_compose.py checks both). Change them together, with `make lock`.
FROM apache/airflow:3.3.2-python3.11 AS airflow

# requirements.txt is a complete lock (uv pip compile: every transitive dependency pinned), so the resolver adds
# nothing; it still runs, checking that the pins agree with each other (a conflict fails the build; --no-deps would
# skip that and silently leave out anything the lock missed). apache-airflow is named with the base image's own
# version ($AIRFLOW_VERSION, set by the image), as Airflow's image documentation advises: a lock that disagrees with
# the base image fails the build instead of changing its Airflow. pip runs as the image's airflow user (the base
# image sets PIP_USER), never as root. Providers of the base image that the lock does not pin are left as they are:
# run `pip check` on the built image (docs/operations.md).
COPY --chown=airflow:0 requirements.txt /opt/flightdeck/requirements.txt
RUN pip install --no-cache-dir "apache-airflow==${AIRFLOW_VERSION}" -r /opt/flightdeck/requirements.txt

# `python -m flightdeck ...` (the flightdeck command) outside Airflow's own processes, which add plugins/ themselves.
ENV PYTHONPATH=/opt/airflow/plugins \
    FLIGHTDECK_MANIFESTS_DIR=/opt/airflow/include/manifests


FROM airflow AS local-aws

# moto with the extras the emulator needs, at the versions of the development lock (which is compiled against
# requirements.txt, so both files constrain one consistent set). No test tools: pytest, playwright, ruff stay out.
COPY --chown=airflow:0 requirements-dev.txt /opt/flightdeck/requirements-dev.txt
RUN pip install --no-cache-dir "apache-airflow==${AIRFLOW_VERSION}" "moto[server,cloudformation]" \
    -c /opt/flightdeck/requirements.txt -c /opt/flightdeck/requirements-dev.txt

# plugins/ (the flightdeck.localaws package) is mounted by docker-compose.yaml. The emulator needs no Airflow
# database: the image's entrypoint must not wait for one.
ENV CONNECTION_CHECK_MAX_COUNT=0
EXPOSE 5000
CMD ["python", "-m", "flightdeck.localaws", "--host", "0.0.0.0", "--port", "5000"]


FROM airflow AS production

# Everything docker-compose.yaml mounts in development, baked in: a release of Flightdeck is one image tag.
COPY --chown=airflow:0 dags/ /opt/airflow/dags/
COPY --chown=airflow:0 plugins/ /opt/airflow/plugins/
COPY --chown=airflow:0 include/ /opt/airflow/include/
COPY --chown=airflow:0 config/airflow_local_settings.py /opt/airflow/config/airflow_local_settings.py
