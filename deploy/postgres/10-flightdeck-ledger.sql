-- The release ledger's own database (docs/ledger.md), next to Airflow's metadata database "airflow", so it outlives
-- `airflow db reset` and `airflow db clean`. PostgreSQL's image runs this once, when its data volume is first
-- initialised (docker-compose.yaml mounts this directory as /docker-entrypoint-initdb.d). Its tables are created by
-- `flightdeck ledger upgrade` (the airflow-init service).
CREATE DATABASE flightdeck_ledger;
