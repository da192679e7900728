"""Ingestion of a nightly extract: verify it against its manifest, then COPY it losslessly into ``raw``.

``load_extract`` is the one entry point (the DAG's load step and ``csc load`` both call it); ``next_extract``
tells the nightly run what is waiting in an LA's landing folder, ``loaded_batch`` whether a night is already loaded
(a loaded extract is archived and leaves landing).
"""

from csc.ingest.errors import REASONS, ExtractRefused, ExtractReplaced
from csc.ingest.landing import landed_extracts, next_extract
from csc.ingest.loader import FileLoad, LoadResult, load_extract, loaded_batch

__all__ = ["REASONS", "ExtractRefused", "ExtractReplaced", "FileLoad", "LoadResult", "landed_extracts", "load_extract",
           "loaded_batch", "next_extract"]
