"""Writes the benchmark CSV: ROWS rows x 20 columns (16 numeric of several shapes, 4 categorical), with a header
and a few missing cells, deterministic (seed 7). Usage: generate.py <out.csv> [rows]"""
import sys

import numpy as np
import pandas as pd

out = sys.argv[1]
rows = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
rng = np.random.default_rng(7)
columns = {}
for i in range(6):
    columns[f"normal_{i}"] = rng.normal(10 * i, 1 + i, rows).round(4)
for i in range(4):
    columns[f"lognormal_{i}"] = rng.lognormal(0, 0.5 + i / 4, rows).round(5)
for i in range(4):
    columns[f"count_{i}"] = rng.poisson(3 + 5 * i, rows)
for i in range(2):
    columns[f"uniform_{i}"] = rng.uniform(-1, 1, rows).round(6)
for i, size in enumerate([3, 8, 20, 50]):
    values = np.array([f"cat{i}_{v}" for v in range(size)])
    columns[f"category_{i}"] = values[rng.integers(0, size, rows)]
frame = pd.DataFrame(columns)
frame.loc[rng.random(rows) < 0.01, "normal_0"] = np.nan
frame.loc[rng.random(rows) < 0.02, "category_0"] = None
frame.to_csv(out, index=False)
