"""gandiv: exact divergences, exact fits and GAN experiments replicating Huszár (2015)."""
