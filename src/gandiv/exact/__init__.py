"""Exact theory between known densities: densities, quadrature, divergences, fits, the JS_pi path, stationary points."""
