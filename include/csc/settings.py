"""One settings object for the whole product, read from the environment (prefix ``CSC_``).

The defaults are the embedded local set-up: every piece of local state (warehouse data, Airflow home, landing
area, outputs, logs, generated secrets) lives under one ignored folder, ``.csc/`` in the repository. Pointing the
product at a production warehouse is a change of settings, not of code.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[2]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CSC_", extra="ignore")

    home: Path = Field(default=PROJECT_ROOT / ".csc", description="Folder holding all local state.")
    warehouse_url: SecretStr | None = Field(
        default=None,
        description="PostgreSQL URL of an existing warehouse database. Unset: start the embedded server.",
    )
    warehouse_database: str = Field(default="csc", description="Warehouse database name on the embedded server.")
    warehouse_tcp_port: int | None = Field(
        default=None, description="Also listen on 127.0.0.1:PORT (password auth) so BI tools can connect."
    )
    airflow_database: str = Field(default="csc_airflow", description="Airflow metadata database on the same server.")
    pseudonym_key: SecretStr | None = Field(
        default=None,
        description="Key of the HMAC that pseudonymises child and worker ids (never stored in the warehouse).",
    )
    shared_group: str | None = Field(
        default=None,
        description="OS group that may read the outputs meant to be shared (the quarterly returns folder, made "
                    "0750/0640 and given to this group). Unset: every file the product writes is owner-only.")
    dbt_threads: int = Field(default=2, ge=1, le=64)
    las_config: Path = Field(default=PROJECT_ROOT / "config" / "las.yml", description="The LAs this install serves.")
    demo_la: str = Field(default="999", description="LA code of the synthetic demo authority used by `make run`.")
    demo_as_of: date = Field(default=date(2026, 9, 30), description="Extract date of the demo LA's extract.")
    demo_size: str = Field(default="small", description="Size preset of the demo extract (tiny, small, county).")
    demo_faults: str = Field(
        default="config/demo_faults.yml",
        description="Data faults in the demo extract: none, default, all, or a fault-rate file (relative paths are "
                    "from the repository root). The default holds only warning-level faults, so the demo publishes.",
    )
    max_file_bytes: int = Field(
        default=4 << 30, ge=1, description="Largest file of an extract the loader reads; larger ones are refused."
    )
    # --- retention (csc purge, include/csc/retention.py): install defaults; an LA's `retention:` overrides them ----
    archive_retention_days: int = Field(
        default=35, ge=0, description="Days a loaded extract's archive is kept (counted back from the latest extract).")
    quarantine_retention_days: int = Field(
        default=30, ge=1, description="Days a refused extract is kept in quarantine (for its investigation).")
    dq_reports_retention_days: int = Field(
        default=90, ge=1,
        description="Days the data-quality reports and the failing records' source ids in ops are kept.")
    returns_retention_days: int = Field(
        default=2557, ge=1, description="Days a quarterly return is kept (default seven years; the latest is kept).")
    outbox_retention_days: int = Field(
        default=30, ge=1, description="Days an alert written to the outbox (.eml) is kept.")
    logs_retention_days: int = Field(
        default=90, ge=1, description="Days the Airflow, dbt and csc logs are kept.")

    # --- data-quality checks (include/csc/quality) ---------------------------------------------------------------
    dq_max_extract_age_hours: float = Field(
        default=30, gt=0,
        description="Freshness: the extract must have been taken no more than this many hours before the end of "
                    "its extract date (a copy taken days earlier and labelled as last night is stale).")
    dq_max_days_without_activity: int = Field(
        default=7, ge=1,
        description="Freshness: the latest contact or referral in the extract is at most this many days before "
                    "the extract date (older means the source system stopped recording: a stale extract).")
    dq_volume_max_drop: float = Field(
        default=0.30, gt=0, lt=1,
        description="Volume: the largest overnight fall (share of the previous published batch) of a table's rows "
                    "or of a key stock (open cases, CP plans, CLA, unallocated) before a warning.")
    dq_volume_max_rise: float = Field(
        default=0.30, gt=0,
        description="Volume: the largest overnight rise (share of the previous published batch) before a warning.")
    dq_volume_min_change: int = Field(
        default=10, ge=0,
        description="Volume: changes of at most this many rows or children never warn (small tables and stocks).")
    dq_sample_keys: int = Field(
        default=20, ge=1, le=1000,
        description="Failing keys kept per rule in ops.dq_results (all are in ops.dq_failing_records).")
    # The visit standards are one setting each: the checks (EXC_*_VISIT_OVERDUE, as {{ cfg.<name> }}) and dbt (the
    # CPP_VISIT_10WD / CLA_VISIT_TIMELY indicators and the casework lists, as vars, csc.transform.environment) both
    # read them from here.
    dq_cp_visit_working_days: int = Field(
        default=10, ge=1,
        description="Children on a CP plan must be seen within this many working days (local standard); the "
                    "clock starts at the later of the last visit where the child was seen and the plan start.")
    dq_cla_visit_days: int = Field(
        default=42, ge=1,
        description="Children looked after must be visited within this many days; the clock starts at the later "
                    "of the last visit and the start of care.")
    history_years: int = Field(
        default=6, ge=1, le=50,
        description="Reporting periods (and the population years the rates need) reach back this many years before "
                    "the extract date: an SSD extract keeps six years of history.")
    dq_data_docs: bool = Field(default=True, description="Also build Great Expectations Data Docs for every run.")
    statutory_readiness: bool = Field(
        default=True, description="Nightly return readiness after each publication (build and validate the year's "
                                  "903 and CIN files); false: off for every LA (las.yml statutory_readiness: per LA).")

    # --- alerts (include/csc/alerts) -------------------------------------------------------------------------------
    smtp_conn_id: str = Field(
        default="csc_smtp",
        description="Airflow connection id of the SMTP server (e.g. from AIRFLOW_CONN_CSC_SMTP). When it is not "
                    "defined, alerts are written as .eml files to the outbox folder instead.")
    alert_from: str = Field(
        default="csc-pipeline@localhost", description="Sender of alerts when the connection has none.")
    alert_webhook_url: SecretStr | None = Field(
        default=None, description="Optional Teams or Slack incoming-webhook URL: alerts are also posted there.")
    alert_send_attempts: int = Field(
        default=3, ge=1, le=10, description="Attempts per alert before it is marked failed.")
    alert_retry_seconds: float = Field(
        default=2.0, ge=0, description="Wait before the first retry (doubled each time).")
    reports_base_url: str | None = Field(
        default=None,
        description="Where outputs_dir is published for readers (e.g. a file share or intranet URL); alerts then "
                    "link there instead of giving the local path.")

    # --- orchestration (dags/, include/csc/orchestration) ----------------------------------------------------------
    task_retries: int = Field(
        default=3, ge=0, le=10,
        description="Retries of a nightly task after a transient failure (connection lost, server restarting). "
                    "Data faults (refused extract, blocking data-quality rule, failing dbt test) are never retried.")
    retry_delay_seconds: float = Field(
        default=60, gt=0, description="Wait before the first retry; doubled on each further retry.")
    max_retry_delay_seconds: float = Field(default=1800, gt=0, description="Longest wait between retries.")
    change_warn_share: float = Field(
        default=0.9, gt=0, le=1, description="A night that changes (or re-keys) at least this share of a table's rows "
                                             "is a warning in the change summary: a source re-keyed or re-formatted.")
    change_warn_min_rows: int = Field(
        default=20, ge=1, description="Tables smaller than this are left out of the change-volume warning.")
    extract_poll_seconds: float = Field(
        default=60, gt=0, description="How often the triggerer looks for the night's extract while waiting.")
    inject_transient_failure: str | None = Field(
        default=None,
        description="Testing only: 'STEP:MARKER_FILE' makes the nightly STEP (e.g. build) fail once with a real "
                    "connection error; the marker file records that it happened, so the retry succeeds.")

    # --- derived locations -------------------------------------------------------------------------------------
    @property
    def pgdata(self) -> Path:
        return self.home / "warehouse" / "pgdata"

    @property
    def landing_dir(self) -> Path:
        return self.home / "landing"

    @property
    def quarantine_dir(self) -> Path:
        return self.home / "quarantine"

    @property
    def archive_dir(self) -> Path:
        return self.home / "archive"

    @property
    def outputs_dir(self) -> Path:
        return self.home / "outputs"

    @property
    def outbox_dir(self) -> Path:
        return self.home / "outbox"

    @property
    def airflow_home(self) -> Path:
        return self.home / "airflow"

    @property
    def logs_dir(self) -> Path:
        return self.home / "logs"

    @property
    def secrets_dir(self) -> Path:
        return self.home / "secrets"

    @property
    def dbt_project_dir(self) -> Path:
        return PROJECT_ROOT / "dbt_project"

    @property
    def dags_dir(self) -> Path:
        return PROJECT_ROOT / "dags"

    @property
    def embedded(self) -> bool:
        return self.warehouse_url is None

    # --- secrets: from the environment, else the local secrets folder (created by `csc init`) --------------------
    def secret(self, name: str) -> str:
        """A local secret: the environment value (``CSC_<NAME>``) if set, else the file ``home/secrets/<name>``.

        Only reads: the files are generated by ``csc init`` (``csc.warehouse.bootstrap.ensure_local_secrets``).
        """
        configured = getattr(self, name, None)
        if isinstance(configured, SecretStr):
            return configured.get_secret_value()
        path = self.secrets_dir / name
        try:
            value = path.read_text().strip()
        except FileNotFoundError:
            raise MissingSecret(
                f"The secret {name!r} is missing: {path} does not exist. Run `csc init` to generate the local "
                f"secrets, or set CSC_{name.upper()}.") from None
        if not value:
            raise MissingSecret(f"The secret file {path} is empty: delete it and run `csc init`, or set "
                                f"CSC_{name.upper()}.")
        return value


class MissingSecret(RuntimeError):
    """A secret is neither in the environment nor in the secrets folder (``csc init`` creates the folder's)."""


def get_settings() -> Settings:
    return Settings()
