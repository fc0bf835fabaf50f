"""StatisticsGen: TFDV statistics of every split, computed on Beam, with a report.html."""

from __future__ import annotations

import os

from components.artifact_io import examples_file_pattern, read_schema, split_names
from components.beam import new_pipeline
from pipelines import Input, Output, Parameter, component
from pipelines.artifacts import Examples, ExampleStatistics, Schema
from pipelines.reports.statistics import STATS_FILE, StatisticsReport

REPORT_FILE = "report.html"


@component(name="StatisticsGen")
def statistics_gen(examples: Input[Examples], statistics: Output[ExampleStatistics],
                   schema: Input[Schema] | None = None,
                   sample_rate: Parameter[float | None] = None) -> None:
    """Computes TFDV statistics per split (schema-aware when a schema is given).

    Args:
        examples: The examples to describe.
        statistics: `Split-<split>/FeatureStats.pb` (DatasetFeatureStatisticsList) and a
            self-contained `report.html`.
        schema: Optional schema: types, domains and environments inform the statistics.
        sample_rate: Optional share of examples to sample (default: all).
    """
    import tensorflow_data_validation as tfdv
    from tfx_bsl.public import tfxio

    options = tfdv.StatsOptions()
    if schema is not None:
        options.schema = read_schema(schema)
        options.infer_type_from_schema = True
    if sample_rate is not None:
        options.sample_rate = sample_rate
    splits = split_names(examples)
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
    statistics.split_names = splits
    StatisticsReport.from_uri(statistics.uri, f"Statistics of {examples.type_name} "
                              f"{examples.id} (span {examples.span})").save(statistics.path(REPORT_FILE))


StatisticsGen = statistics_gen
