"""Tools that measure govsim, apart from the experiments (which ask questions of the model).

python -m benchmarks          # the scale benchmark (benchmarks/scale.py), writes results/benchmark/
"""
