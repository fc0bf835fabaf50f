"""The standard components (TFX's, on TFDV, TFT, TFMA and Beam); each lives in its own module."""
from components.evaluator import Evaluator, eval_config_from_dict
from components.example_gen import CsvExampleGen, ImportExampleGen, ParquetExampleGen
from components.pusher import Pusher
