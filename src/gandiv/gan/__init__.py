"""GAN training and evaluation in Keras 3: networks, the adversarial model, training loop, runs, evaluation."""
