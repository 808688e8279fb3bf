"""docker-compose.yaml, the Dockerfile and .env.example, checked without Docker: structure, paths, versions, secrets."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
COMPOSE_FILE = ROOT / "docker-compose.yaml"
DOCKERFILE = ROOT / "Dockerfile"
ENV_EXAMPLE = ROOT / ".env.example"
LOCK = ROOT / "requirements.txt"

AIRFLOW_SERVICES = {
    "airflow-apiserver",
    "airflow-scheduler",
    "airflow-dag-processor",
    "airflow-triggerer",
    "airflow-worker",
    "airflow-init",
}
LONG_RUNNING = AIRFLOW_SERVICES - {"airflow-init"}
REQUIRED_SERVICES = AIRFLOW_SERVICES | {"postgres", "redis", "local-aws"}
LOCAL_AWS = "local-aws"
# What the compose environment needs from the lock: the executor, its broker client, the PostgreSQL driver (metadata
# database, Celery results, the ledger) and the AWS provider.
NEEDED_PACKAGES = {
    "apache-airflow-providers-celery",
    "celery",
    "redis",
    "psycopg2-binary",
    "apache-airflow-providers-amazon",
}
# ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR?error}, ${VAR:+alt}, and bare $VAR; $$ is a literal $.
_BRACED = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])[^}]*)?\}")
_BARE = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose["services"]


def _environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        return dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {key: "" if value is None else str(value) for key, value in env.items()}


def _depends_on(service: dict[str, Any]) -> dict[str, dict[str, Any]]:
    deps = service.get("depends_on") or {}
    if isinstance(deps, list):
        return {name: {"condition": "service_started"} for name in deps}
    return deps


def _command(service: dict[str, Any]) -> str:
    command = service.get("command", "")
    return " ".join(command) if isinstance(command, list) else command


def _lock_pins() -> dict[str, str]:
    pins = {}
    for line in LOCK.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)", line)
        if match:
            pins[match[1].lower().replace("_", "-").replace(".", "-")] = match[2]
    return pins


def _lock_python() -> str:
    """The Python (major.minor) the lock is compiled for: its header, else the Makefile, else pyproject.toml."""
    for source in (LOCK, ROOT / "Makefile"):
        match = re.search(r"--python-version[ =](\d+\.\d+)", source.read_text(encoding="utf-8"))
        if match:
            return match[1]
    match = re.search(r'requires-python\s*=\s*">=\s*(\d+\.\d+)', (ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert match, "no Python version for the lock in requirements.txt, the Makefile or pyproject.toml"
    return match[1]


def _dockerfile_stages() -> dict[str, list[str]]:
    """Stage name → its instructions (continuation lines joined, comments dropped), in file order."""
    stages: dict[str, list[str]] = {}
    current: list[str] = []
    logical = ""
    for raw in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        if raw.lstrip().startswith("#") or not raw.strip():
            continue
        logical += raw.rstrip().removesuffix("\\") + " "
        if raw.rstrip().endswith("\\"):
            continue
        line, logical = logical.strip(), ""
        match = re.match(r"FROM\s+\S+(?:\s+AS\s+(\S+))?", line, re.IGNORECASE)
        if match:
            current = stages.setdefault(match[1] or f"stage{len(stages)}", [])
        current.append(line)
    return stages


def _variables(text: str) -> dict[str, str | None]:
    """Every variable the compose file interpolates → its operator (``:-``, ``?``...; None for a plain reference)."""
    text = text.replace("$$", "")
    found: dict[str, str | None] = dict.fromkeys(_BARE.findall(text))
    for name, operator in _BRACED.findall(text):
        if found.get(name) is None or operator in (":-", "-"):
            found[name] = operator or found.get(name)
    return found


def _env_example_keys(*, commented: bool) -> set[str]:
    prefix = r"#\s*" if commented else ""
    pattern = re.compile(rf"^{prefix}([A-Za-z_][A-Za-z0-9_]*)=")
    return {m[1] for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines() if (m := pattern.match(line))}


# -- services -----------------------------------------------------------------------------------------------------


def test_required_services_are_there(services: dict[str, dict[str, Any]]) -> None:
    assert set(services) >= REQUIRED_SERVICES


def test_every_airflow_service_runs_the_common_image(compose: dict[str, Any], services: dict[str, Any]) -> None:
    common = compose["x-airflow-common"]
    assert common["build"] == {"context": ".", "dockerfile": "Dockerfile", "target": "airflow"}
    for name in AIRFLOW_SERVICES:
        assert services[name]["build"] == common["build"], name
        assert services[name].get("image") == common.get("image"), name
        assert services[name]["volumes"] == common["volumes"], name


def test_executor_is_celery_with_redis_and_postgres(services: dict[str, Any]) -> None:
    for name in AIRFLOW_SERVICES:
        env = _environment(services[name])
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor", name
        assert env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://"), name
        assert "@redis:" in env["AIRFLOW__CELERY__BROKER_URL"], name
        assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql+psycopg2://"), name
        assert "@postgres/" in env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"], name
        assert env["AIRFLOW__CELERY__RESULT_BACKEND"].startswith("db+postgresql"), name
        assert env["AIRFLOW__CORE__PLUGINS_FOLDER"] == "/opt/airflow/plugins", name
        assert env["FLIGHTDECK_MANIFESTS_DIR"] == "/opt/airflow/include/manifests", name
        assert env["AIRFLOW_CONN_FLIGHTDECK_LEDGER"].startswith("postgresql://"), name
        assert env["AIRFLOW_CONN_AWS_DEFAULT"] == "${AIRFLOW_CONN_AWS_DEFAULT:?set it in .env}"


def test_the_worker_runs_a_celery_worker(services: dict[str, Any]) -> None:
    assert _command(services["airflow-worker"]) == "celery worker"
    for name, command in {
        "airflow-apiserver": "api-server",
        "airflow-scheduler": "scheduler",
        "airflow-dag-processor": "dag-processor",
        "airflow-triggerer": "triggerer",
    }.items():
        assert _command(services[name]) == command


def test_the_ledger_database_is_created_and_migrated(services: dict[str, Any]) -> None:
    ledger_url = _environment(services["airflow-scheduler"])["AIRFLOW_CONN_FLIGHTDECK_LEDGER"]
    database = ledger_url.rsplit("/", 1)[1]
    mounts = [v for v in services["postgres"]["volumes"] if ":/docker-entrypoint-initdb.d" in v]
    assert len(mounts) == 1
    scripts = "".join(p.read_text() for p in sorted((ROOT / mounts[0].split(":")[0]).glob("*.sql")))
    assert re.search(rf"CREATE DATABASE {database};", scripts)
    init = services["airflow-init"]
    assert "python -m flightdeck ledger upgrade" in _command(init)
    assert "/entrypoint airflow db migrate" in _command(init)
    assert init["user"] == "0:0"  # to give the mounted directories to AIRFLOW_UID, as Airflow's own file does
    assert "chown -R" in _command(init)


def test_healthchecks(services: dict[str, Any]) -> None:
    for name in LONG_RUNNING | {"postgres", "redis", LOCAL_AWS}:
        assert services[name].get("healthcheck", {}).get("test"), f"{name} has no healthcheck"


def test_dependencies(services: dict[str, Any]) -> None:
    conditions = {"service_started", "service_healthy", "service_completed_successfully"}
    for name, service in services.items():
        for dependency, spec in _depends_on(service).items():
            assert dependency in services, f"{name} depends on unknown {dependency}"
            assert spec["condition"] in conditions, name
            if spec["condition"] == "service_healthy":
                assert "healthcheck" in services[dependency], f"{name} waits for {dependency}'s missing healthcheck"
    for name in AIRFLOW_SERVICES:
        deps = _depends_on(services[name])
        assert deps["postgres"]["condition"] == "service_healthy", name
        assert deps["redis"]["condition"] == "service_healthy", name
    for name in LONG_RUNNING:
        assert _depends_on(services[name])["airflow-init"]["condition"] == "service_completed_successfully", name


def test_local_aws_runs_only_in_its_profile(services: dict[str, Any]) -> None:
    local_aws = services[LOCAL_AWS]
    assert local_aws.get("profiles") == [LOCAL_AWS], "local-aws must run only with --profile local-aws"
    assert "flightdeck.localaws" in _command(local_aws)
    assert local_aws["build"]["target"] == "local-aws"
    for name, service in services.items():
        assert LOCAL_AWS not in _depends_on(service), f"{name} needs local-aws, so real AWS would need it too"
    # Every service `docker compose up` starts without a profile is one of the production topology.
    by_default = {name for name, service in services.items() if not service.get("profiles")}
    assert by_default == REQUIRED_SERVICES - {LOCAL_AWS}


def test_packages_are_never_installed_at_start_up() -> None:
    for path in (COMPOSE_FILE, DOCKERFILE, ENV_EXAMPLE):
        assert "_PIP_ADDITIONAL_REQUIREMENTS" not in path.read_text(encoding="utf-8"), path.name


# -- host paths and variables -------------------------------------------------------------------------------------


def test_every_host_path_exists(compose: dict[str, Any], services: dict[str, Any]) -> None:
    named = set(compose.get("volumes") or {})
    for name, service in services.items():
        for volume in service.get("volumes", []):
            source = volume["source"] if isinstance(volume, dict) else volume.split(":", 1)[0]
            if source.startswith((".", "/")):
                assert (ROOT / source).exists(), f"{name} mounts {source}, which is not in the repository"
            else:
                assert source in named, f"{name} mounts the undeclared volume {source}"
        build = service.get("build")
        if build:
            build = {"context": build} if isinstance(build, str) else build
            context = ROOT / build["context"]
            assert context.is_dir(), name
            assert (context / build.get("dockerfile", "Dockerfile")).is_file(), name
        env_files = service.get("env_file") or []
        for env_file in [env_files] if isinstance(env_files, str) else env_files:
            path = env_file["path"] if isinstance(env_file, dict) else env_file
            assert path == ".env" or (ROOT / path).is_file(), f"{name} reads {path}, which is not in the repository"


def test_every_variable_is_in_env_example_or_has_a_default() -> None:
    listed = _env_example_keys(commented=False)
    for name, operator in _variables(COMPOSE_FILE.read_text(encoding="utf-8")).items():
        if operator in (":-", "-"):
            continue
        assert name in listed, f"${{{name}}} has no default and is not set in .env.example"


def test_env_example_lists_only_what_compose_uses() -> None:
    used = set(_variables(COMPOSE_FILE.read_text(encoding="utf-8")))
    documented = _env_example_keys(commented=False) | _env_example_keys(commented=True)
    assert documented - used == set()


def test_env_stays_out_of_git_and_images() -> None:
    assert ".env" in (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert ".env" in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    example = ENV_EXAMPLE.read_text(encoding="utf-8")
    assert not re.search(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b", example), "an AWS access key id in .env.example"
    assert "aws_secret_access_key" not in example.lower()
    operations = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    assert ".env.example" in operations
    assert "docker compose --profile local-aws up" in operations


# -- the image ----------------------------------------------------------------------------------------------------


def test_base_image_matches_the_lock() -> None:
    froms = [line for stage in _dockerfile_stages().values() for line in stage if line.upper().startswith("FROM ")]
    match = re.fullmatch(r"FROM apache/airflow:(\S+)-python(\d+\.\d+) AS airflow", froms[0])
    assert match, f"the first stage must be FROM apache/airflow:<version>-python<x.y> AS airflow, not {froms[0]!r}"
    assert match[1] == _lock_pins()["apache-airflow"], "the base image's Airflow is not requirements.txt's"
    assert match[2] == _lock_python(), "the base image's Python is not the one requirements.txt is compiled for"
    # Every later stage builds on that one: a single Airflow version in every image.
    assert all(re.fullmatch(r"FROM airflow AS \S+", line) for line in froms[1:]), froms


def test_the_image_installs_the_full_lock() -> None:
    airflow = " ".join(_dockerfile_stages()["airflow"])
    install = r"pip install --no-cache-dir \"apache-airflow==\$\{AIRFLOW_VERSION\}\" -r \S*requirements\.txt"
    assert re.search(install, airflow)
    assert "--no-deps" not in airflow


def test_the_compose_image_copies_nothing_it_mounts(services: dict[str, Any]) -> None:
    stages = _dockerfile_stages()
    mounted = {v.split(":")[1] for v in services["airflow-scheduler"]["volumes"] if v.startswith(".")}
    for line in stages["airflow"]:
        if line.upper().startswith(("COPY", "ADD")):
            assert not any(target in line for target in mounted), line
    copied = " ".join(line for line in stages["production"] if line.upper().startswith("COPY"))
    for directory in ("dags", "plugins", "include"):
        assert f"/opt/airflow/{directory}/" in copied
    targets = {service["build"]["target"] for service in services.values() if isinstance(service.get("build"), dict)}
    assert targets <= set(stages)


def test_the_lock_has_what_the_compose_environment_needs() -> None:
    missing = NEEDED_PACKAGES - set(_lock_pins())
    assert not missing, f"requirements.txt lacks {sorted(missing)}"
