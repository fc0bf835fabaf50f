"""Existing TFRecord files of tf.Examples, re-split into the standard layout."""

from __future__ import annotations

from collections.abc import Iterator


def records_of_file(path: str, partition_feature: str | None) -> Iterator[tuple[bytes, bytes]]:
    """Yields (hash key, record) per tf.Example in a (gzipped or plain) TFRecord file.

    Raises:
        ValueError: a record is not a tf.Example, or the file is not TFRecord; names the file and
            the record number.
    """
    import tensorflow as tf
    from apache_beam.metrics import Metrics

    read = Metrics.counter("example_gen", "rows_read")
    compression = "GZIP" if path.endswith(".gz") else ""
    count = 0
    try:
        for record in tf.data.TFRecordDataset(path, compression_type=compression):
            count += 1
            serialized = record.numpy()
            example = tf.train.Example.FromString(serialized)
            read.inc()
            if partition_feature:
                feature = example.features.feature.get(partition_feature)
                key = feature.SerializeToString() if feature is not None else b""
            else:
                key = serialized
            yield key, serialized
    except (tf.errors.DataLossError, tf.errors.InvalidArgumentError) as error:
        raise ValueError(f"{path}: record {count}: not a TFRecord of tf.Example: "
                         f"{str(error).splitlines()[0]}") from None
    except Exception as error:
        if "DecodeError" not in type(error).__name__:
            raise
        raise ValueError(f"{path}: record {count}: not a tf.Example ({error})") from None

