"""Dure (두레): a Korean-first one-stop platform for cooperatives, SMEs, support centres and
public research institutes."""

import os

# numpy's OpenBLAS on one thread, set before anything imports numpy: its thread pool, woken
# for every matrix-vector product of the semantic search, fought the e5 engine and the
# database on a 2-core server (scoring 4,000 vectors took 10–25 ms instead of 0.6 ms).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
