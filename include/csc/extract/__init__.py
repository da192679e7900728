"""Reading the SSD straight from an LA's reporting database into the landing folder (``csc extract``)."""

from csc.extract.errors import SourceRefused, SourceTransient
from csc.extract.run import ExtractResult, extract_source

__all__ = ["ExtractResult", "SourceRefused", "SourceTransient", "extract_source"]
