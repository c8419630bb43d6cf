"""Keras models that draw their own training data inside the step, trained K steps per compiled call.

Keras's own multi-step loop pulls a batch from the input iterator and calls a
nested function every step; a model whose data come from an in-graph sampler
needs no input, and inlining its `train_step` into one `tf.function` while-loop
halves the cost per step at this project's network sizes (`make bench`).
"""

from __future__ import annotations

import keras
import tensorflow as tf


class InGraphDataModel(keras.Model):
    """A `keras.Model` that makes its own data; `fit` runs `steps_per_execution` steps per call.

    `draw_chunk(steps)` may draw a call's random numbers at once (a structure of tensors with a leading step
    axis); step k's `train_step` gets its slice k. The default draws nothing and each step gets None.
    """

    def draw_chunk(self, steps: int):
        """Data of `steps` steps with a leading step axis, or None (the steps draw their own)."""
        return None

    def make_train_function(self, force=False):
        """`fit`'s per-call function: the configured number of inlined steps in one `tf.function`."""
        if self.train_function is not None and not force:
            return self.train_function
        if self.run_eagerly or self.jit_compile:
            raise ValueError("InGraphDataModel compiles its own loop: compile with run_eagerly=False, jit_compile=False")

        @tf.function
        def run_steps():
            chunk = self.draw_chunk(self.steps_per_execution)
            for k in tf.range(self.steps_per_execution):
                self.train_step(None if chunk is None else tf.nest.map_structure(lambda t: t[k], chunk))
            return {metric.name: metric.result() for metric in self.metrics}

        self.train_function = lambda iterator: run_steps()
        return self.train_function


def fit_in_chunks(model: InGraphDataModel, steps: int, chunk: int, callbacks=()) -> None:
    """Train `steps` steps as `steps // chunk` epochs of one compiled call each (callbacks run between calls)."""
    if chunk != model.steps_per_execution or steps % chunk:
        raise ValueError(f"steps={steps} must be a multiple of chunk={chunk} = the model's steps_per_execution "
                         f"({model.steps_per_execution})")
    dummy = tf.data.Dataset.from_tensors(tf.zeros((1,))).repeat()  # never read: data are drawn inside the step
    model.fit(dummy, epochs=steps // chunk, steps_per_epoch=chunk, verbose=0, shuffle=False,
              callbacks=list(callbacks))
