"""Estimates from samples: k-NN divergences, mode coverage, maximum likelihood by minibatch Adam."""
