"""The standard components (TFX's, on TFDV, TFT, TFMA and Beam); each lives in its own module."""
from components.pusher import Pusher
