"""A TF Serving-compatible REST model server for the models Starling pushes."""

from pipelines.environment import prepare_runtime

prepare_runtime()  # tf_keras and quiet TensorFlow logs, also for `python -m serving...`
