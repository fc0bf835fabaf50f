"""ML Metadata: where Starling records every artifact, execution, run and their lineage."""

from pipelines.metadata.connection import config_from_url, grpc_config, mysql_config, sqlite_config
from pipelines.metadata.lineage import DOWNSTREAM, UPSTREAM, LineageStep, LineageTree, lineage
from pipelines.metadata.store import ExecutionRecord, MetadataStore, RunRecord

__all__ = [
    "DOWNSTREAM",
    "UPSTREAM",
    "ExecutionRecord",
    "LineageStep",
    "LineageTree",
    "MetadataStore",
    "RunRecord",
    "config_from_url",
    "grpc_config",
    "lineage",
    "mysql_config",
    "sqlite_config",
]
