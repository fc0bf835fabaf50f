"""TFDV statistics without Beam, for splits that fit in memory.

TFDV's Beam path costs seconds of pipeline start-up and per-element overhead even for a few
thousand rows; its in-memory generators (`stats_impl.get_generators(in_memory=True)`, the ones
behind `generate_statistics_from_dataframe`) compute the same statistics from Arrow record
batches. Here each split's gzipped TFRecords are decoded `_BATCH_ROWS` rows at a time
(`components.tfrecord_batches`) and each batch is added to the generators' accumulators, so
memory holds one batch and the accumulators. Both paths give the same
`DatasetFeatureStatisticsList`: counts exactly, moments up to float summation order (1e-12
relative), histograms and top values identical; only the order of equally frequent values in a
rank histogram may differ.

StatisticsGen takes this path when every split's files total at most `in_memory_limit_bytes`
on disk, no sampling is asked for, and Beam runs in this process (DirectRunner); otherwise, or
on a cluster runner, the Beam path. Transform follows the same rule
(`components.transform_in_memory`).
"""

from __future__ import annotations

import glob
import os
from collections.abc import Sequence
from typing import Any

from components.decoded_cache import shared_cache, split_batches
from components.tfrecord_batches import matching_files

# Compressed TFRecords on disk, about 6M ctr rows. Memory does not grow with the data on either
# in-memory path (peak RSS at 1M and 2M ctr rows: StatisticsGen 908 and 908 MB, Transform 992 and
# 994 MB, 617 MB of it imports); Transform's scratch copies take about 180 bytes a row.
IN_MEMORY_LIMIT_BYTES = 256 * 1024 * 1024
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
    """A split's DatasetFeatureStatisticsList, computed from its TFRecords a record batch at a time.

    Each batch is added to every statistics generator's accumulator as it is decoded, as TFDV's
    Beam combiners do, so memory holds one batch and the accumulators, not the whole split. A
    split of one file is read through the shared `DecodedCache` (`components.decoded_cache`):
    from the rows ExampleGen kept for the shard, or the batches Transform decoded, when there;
    else decoded, and kept there for Transform.
    """
    from tensorflow_data_validation.statistics import stats_impl

    generators = stats_impl.get_generators(options, in_memory=True)
    accumulators = [generator.create_accumulator() for generator in generators]
    batches = split_batches(matching_files(file_pattern), options.schema, shared_cache(), _BATCH_ROWS)
    for batch in batches:
        batch = _allowed_columns(batch, options.feature_allowlist)
        accumulators = [generator.add_input(accumulator, batch)
                        for generator, accumulator in zip(generators, accumulators, strict=True)]
    return stats_impl.extract_statistics_output(accumulators, generators)


def _allowed_columns(batch: Any, allowlist: Sequence[str] | None) -> Any:
    """The batch's columns that the allowlist names (all without one), as TFDV selects them."""
    import pyarrow as pa

    if not allowlist:
        return batch
    present = [name for name in allowlist if name in batch.schema.names]
    return pa.RecordBatch.from_arrays([batch.column(batch.schema.get_field_index(name)) for name in present],
                                      present)
