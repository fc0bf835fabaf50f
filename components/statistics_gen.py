"""StatisticsGen: TFDV statistics of every split, in memory or on Beam, with a report.html."""

from __future__ import annotations

import os
from typing import Any

from components.artifact_io import examples_file_pattern, read_schema, split_names
from components.beam import beam_args, new_pipeline
from components.statistics_in_memory import IN_MEMORY_LIMIT_BYTES, fits_in_memory, statistics_in_memory
from pipelines import Input, Output, Parameter, component
from pipelines.artifacts import Examples, ExampleStatistics, Schema
from pipelines.reports.statistics import STATS_FILE, StatisticsReport

REPORT_FILE = "report.html"


@component(name="StatisticsGen")
def statistics_gen(examples: Input[Examples], statistics: Output[ExampleStatistics],
                   schema: Input[Schema] | None = None,
                   sample_rate: Parameter[float | None] = None,
                   in_memory_limit_bytes: Parameter[int] = IN_MEMORY_LIMIT_BYTES) -> None:
    """Computes TFDV statistics per split (schema-aware when a schema is given).

    Splits whose files total at most `in_memory_limit_bytes` are described by TFDV's in-memory
    path (no Beam start-up; the same statistics, see `components.statistics_in_memory`);
    larger data, sampling or a cluster runner use TFDV's Beam path. 0 forces Beam.

    Args:
        examples: The examples to describe.
        statistics: `Split-<split>/FeatureStats.pb` (DatasetFeatureStatisticsList) and a
            self-contained `report.html`.
        schema: Optional schema: types, domains and environments inform the statistics.
        sample_rate: Optional share of examples to sample (default: all; sampling uses Beam).
        in_memory_limit_bytes: The largest examples (bytes on disk, all splits) described in
            memory; 0 always uses Beam.
    """
    import tensorflow_data_validation as tfdv

    options = tfdv.StatsOptions()
    if schema is not None:
        options.schema = read_schema(schema)
        options.infer_type_from_schema = True
    if sample_rate is not None:
        options.sample_rate = sample_rate
    splits = split_names(examples)
    patterns = [examples_file_pattern(examples, split) for split in splits]
    if fits_in_memory(patterns, in_memory_limit_bytes, beam_args(), sample_rate):
        for split, pattern in zip(splits, patterns, strict=True):
            os.makedirs(statistics.split_uri(split))
            _write_binary(statistics_in_memory(pattern, options),
                          os.path.join(statistics.split_uri(split), STATS_FILE))
        statistics.properties["computed"] = "in memory"
    else:
        _statistics_on_beam(splits, examples, statistics, options)
        statistics.properties["computed"] = "beam"
    statistics.split_names = splits
    StatisticsReport.from_uri(statistics.uri, f"Statistics of {examples.type_name} "
                              f"{examples.id} (span {examples.span})").save(statistics.path(REPORT_FILE))


def _write_binary(statistics_list: Any, path: str) -> None:
    with open(path, "wb") as target:
        target.write(statistics_list.SerializeToString())


def _statistics_on_beam(splits: list[str], examples: Examples, statistics: ExampleStatistics,
                        options: Any) -> None:
    import tensorflow_data_validation as tfdv
    from tfx_bsl.public import tfxio

    with new_pipeline() as pipeline:
        for split in splits:
            source = tfxio.TFExampleRecord(file_pattern=examples_file_pattern(examples, split),
                                           schema=options.schema)
            os.makedirs(statistics.split_uri(split))
            _ = (pipeline
                 | f"Read[{split}]" >> source.BeamSource()
                 | f"Statistics[{split}]" >> tfdv.GenerateStatistics(options)
                 | f"Write[{split}]" >> tfdv.WriteStatisticsToBinaryFile(
                     os.path.join(statistics.split_uri(split), STATS_FILE)))


StatisticsGen = statistics_gen
