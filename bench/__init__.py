"""Benchmark of careerpath: a generated organization, a load runner and the figures.

See bench/README.md.
"""
