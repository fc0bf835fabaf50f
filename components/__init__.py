"""The standard components (TFX's, on TFDV, TFT, TFMA and Beam); each lives in its own module."""
import pipelines  # first: sets up tf_keras and KerasTuner before any component imports TensorFlow
from components.bulk_inferrer import BulkInferrer
from components.calibrator import Calibrator
from components.evaluator import Evaluator, eval_config_from_dict
from components.example_gen import CsvExampleGen, ImportExampleGen, ParquetExampleGen
from components.example_validator import ExampleValidator
from components.pusher import Pusher
from components.schema_gen import ImportSchemaGen, SchemaGen
from components.statistics_gen import StatisticsGen
from components.trainer import Trainer, export_serving_model, load_base_weights
from components.transform import Transform
from components.tuner import Tuner, TunerFnResult
