"""The self-contained HTML report and the comparison of two runs' outputs."""
