"""Sequence models: the autoregressive pair model and scheduled sampling."""
