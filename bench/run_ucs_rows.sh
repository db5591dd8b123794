#!/bin/sh
# Every row of bench/RESULTS.md's UCS table, one invocation of bench_ucs.py per (data, K): all methods of a row
# run in one process on identical inputs with 1 BLAS/OpenMP thread each. Appends to bench/out/ucs_rows.jsonl.
set -e
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
OUT=${OUT:-bench/out/ucs_rows.jsonl}
$PY bench/real_data.py  # builds the MiniLM cache once (minutes); later calls load it
for data in real-src real-input real-rows synth:70000; do
  for k in 7 100 1000; do
    $PY bench/bench_ucs.py --data "$data" --ks "$k" --mislabel --json "$OUT"
  done
done
for k in 100 1000; do
  $PY bench/bench_ucs.py --data synth:1000000 --ks "$k" --methods ours faiss minibatch --mislabel --json "$OUT"
done
$PY bench/bench_ucs.py --table "$OUT"
