"""ExampleGen: CSV, Parquet and TFRecord files of a span into TFX-layout tf.Examples."""

from components.example_gen.components import CsvExampleGen, ImportExampleGen, ParquetExampleGen

__all__ = ["CsvExampleGen", "ImportExampleGen", "ParquetExampleGen"]
