"""Children's social care data pipeline: ingest, check, model and publish a local authority's nightly extract."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("csc-pipeline")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"
