"""The dbt warehouse: build every model into shadow schemas, then publish them to BI atomically.

``build(settings)`` runs ``dbt build`` (staging, intermediate, marts, casework, seeds, data and unit tests) for
every LA's batch in ``ops.build_batches`` and records the outcome in ``ops.dbt_builds`` / ``ops.dbt_model_runs``;
``publish(settings)`` swaps the new marts and casework lists in and marks the batches published.
``DbtBuild`` is the one core of a build: ``build()`` (``csc build``) and the nightly DAG's Cosmos task both run
dbt inside one.
``dbt_environment(settings)`` gives the environment any other dbt runner needs and
``render_manifest(settings)`` writes the manifest such a runner can load.
"""

from csc.transform.build import BuildFailed, BuildResult, DbtBuild, NodeResult, build, render_manifest
from csc.transform.environment import dbt_environment
from csc.transform.publication import PublicationRefused, PublishResult, publish

__all__ = [
    "BuildFailed",
    "BuildResult",
    "DbtBuild",
    "NodeResult",
    "PublicationRefused",
    "PublishResult",
    "build",
    "dbt_environment",
    "publish",
    "render_manifest",
]
