"""The pandas + scipy equivalent of Kiln's baseline statistics, in one fresh process: read_csv, then
describe(include='all') (counts, mean, std, min, max, quartiles; count/unique/top for strings), per numeric column
the sum, ten-bucket histogram (numpy) and deciles (scipy.stats.mstats.mquantiles), per string column the
value counts. Prints JSON with the seconds taken."""
import json
import sys
import time

start = time.perf_counter()
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from scipy.stats import mstats  # noqa: E402

frame = pd.read_csv(sys.argv[1])
summary = frame.describe(include="all")
result = {}
for name in frame.columns:
    column = frame[name]
    present = column.dropna()
    if pd.api.types.is_numeric_dtype(column):
        values = present.to_numpy()
        counts, edges = np.histogram(values, bins=10)
        deciles = mstats.mquantiles(values, prob=np.linspace(0.1, 0.9, 9))
        result[name] = {"sum": float(values.sum()), "buckets": counts.tolist(), "deciles": deciles.tolist()}
    else:
        result[name] = {"distinct": int(present.nunique()), "buckets": present.value_counts().to_dict()}
seconds = time.perf_counter() - start
print(json.dumps({"seconds": round(seconds, 3), "rows": len(frame), "features": len(frame.columns), "described": summary.shape[1]}))
