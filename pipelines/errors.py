"""The one exception tree of Starling: every error the framework raises derives from StarlingError."""

from __future__ import annotations


class StarlingError(Exception):
    """Base class of every error Starling raises on purpose."""


class PipelineDefinitionError(StarlingError):
    """A pipeline or node is wired wrongly; the message names the node, the port and the mismatch."""


class PipelineFileError(StarlingError):
    """A pipeline file could not be loaded (missing, bad syntax, raised, defines no pipeline)."""


class MetadataError(StarlingError):
    """The ML Metadata store could not be opened or queried, or holds no such record."""


class ComponentFailure(StarlingError):
    """A component's executor raised; carries the node id and the original error text."""

    def __init__(self, node_id: str, message: str):
        super().__init__(f"node '{node_id}' failed: {message}")
        self.node_id = node_id
        self.message = message


class HaltPipeline(StarlingError):
    """Raised by a component to stop the run on purpose (e.g. anomalies found); marks the node FAILED."""
