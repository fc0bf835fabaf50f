"""TFDV statistics without Beam, for splits that fit in memory.

TFDV's Beam path costs seconds of pipeline start-up and per-element overhead even for a few
thousand rows; its in-memory path (`stats_impl.generate_statistics_in_memory`, the one behind
`generate_statistics_from_dataframe`) runs the same statistics generators over one Arrow record
batch. Both give the same `DatasetFeatureStatisticsList`: counts exactly, moments up to float
summation order (1e-12 relative), histograms and top values identical; only the order of
equally frequent values in a rank histogram may differ.

StatisticsGen takes this path when every split's files total at most `in_memory_limit_bytes`
on disk, no sampling is asked for, and Beam runs in this process (DirectRunner); otherwise, or
on a cluster runner, the Beam path.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Sequence
from typing import Any

IN_MEMORY_LIMIT_BYTES = 64 * 1024 * 1024  # compressed TFRecords on disk; about 1M ctr rows
_BATCH_ROWS = 65536


def split_bytes(file_pattern: str) -> int:
    """Bytes on disk of the files a split's pattern matches."""
    return sum(os.path.getsize(path) for path in glob.glob(file_pattern))


def fits_in_memory(file_patterns: Sequence[str], limit_bytes: int, beam_args: Sequence[str],
                   sample_rate: float | None) -> bool:
    """Whether to compute in memory: small enough, not sampled, and Beam would run locally."""
    from components.beam import is_remote

    return (sample_rate is None and limit_bytes > 0 and not is_remote(beam_args)
            and sum(split_bytes(pattern) for pattern in file_patterns) <= limit_bytes)


def statistics_in_memory(file_pattern: str, options: Any) -> Any:
    """A split's DatasetFeatureStatisticsList, computed from its TFRecords in one record batch."""
    import pyarrow as pa
    from tensorflow_data_validation.statistics import stats_impl
    from tfx_bsl.public import tfxio

    source = tfxio.TFExampleRecord(file_pattern=file_pattern, schema=options.schema,
                                   telemetry_descriptors=["Starling", "StatisticsGen"])
    batches = list(source.RecordBatches(tfxio.RecordBatchesOptions(
        batch_size=_BATCH_ROWS, num_epochs=1, shuffle=False)))
    tables = [pa.Table.from_batches([batch]) for batch in batches]  # columns may differ per batch
    merged = pa.concat_tables(tables, promote=True).combine_chunks().to_batches() if tables else []
    batch = merged[0] if merged else pa.RecordBatch.from_arrays([], names=[])
    return stats_impl.generate_statistics_in_memory(batch, options)
