"""Reference for notebook 06, building blocks (Weidman, chapter 3).

The answers of notebook 06 are the course's framework,
``autograder.published.framework``: one copy, which students get as
framework.py beside notebook 07 and later ones. Notebook 06's folder has no
copy, its kernel may not import one (see autograder/registry.py), and the
hidden tests compare with it from here.
"""
from autograder.published.framework import (SGD, BiasAdd, Dense, Layer, Linear, Loss, MeanSquaredError,  # noqa: F401
                                            NeuralNetwork, Operation, Optimizer, ParamOperation, Sigmoid, Tanh, Trainer,
                                            WeightMultiply, check_same_shape, generate_batches, permute_data)
