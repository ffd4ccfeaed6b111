#!/usr/bin/env bash
# Kiln's baseline statistics (suggest_baseline: statistics.json + constraints.json) vs pandas read_csv +
# describe(include='all') + numpy/scipy histograms and deciles, on the same generated CSV (ROWS x 20 columns),
# one cold process each, same machine. Needs Debian's python3-pandas and python3-scipy.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
rows="${ROWS:-1000000}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
/usr/bin/python3 "$root/bench/monitoring/generate.py" "$work/data.csv" "$rows"
# ReadyToRun, as a deployed Kiln would be: less JIT warm-up in a fresh process.
dotnet publish "$root/bench/Kiln.Bench.Monitoring" -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true -o "$work/kiln" --nologo -v quiet >&2
cat "$work/data.csv" >/dev/null # both read the file from the page cache
load="$(cut -d' ' -f1-3 /proc/loadavg)"
# Wall time is what the table compares; user + system CPU seconds (bash's time) show the work apart from the
# machine's load and Kiln's second core.
run() {
  local TIMEFORMAT='%U %S'
  { time "$@" >"$work/result.json" 2>"$work/stderr.txt"; } 2>"$work/cpu.txt"
  awk '{ printf "%.2f", $1 + $2 }' "$work/cpu.txt" >"$work/cpu_total.txt"
}
run dotnet "$work/kiln/Kiln.Bench.Monitoring.dll" "$work/data.csv" "$work/out"
kiln=$(cat "$work/result.json"); kiln_cpu=$(cat "$work/cpu_total.txt")
run /usr/bin/python3 "$root/bench/monitoring/pandas_baseline.py" "$work/data.csv"
pandas=$(cat "$work/result.json"); pandas_cpu=$(cat "$work/cpu_total.txt")
/usr/bin/python3 - "$rows" "$(du -m "$work/data.csv" | cut -f1)" "$kiln" "$pandas" "$kiln_cpu" "$pandas_cpu" "$load" <<'PY'
import json, sys
rows, mb, k, p, kc, pc, load = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), json.loads(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6]), sys.argv[7]
print(f"load average before the runs: {load}")
print("| baseline statistics of a CSV | Kiln s | pandas + scipy s | pandas ÷ Kiln | Kiln CPU s | pandas CPU s |")
print("|---|---:|---:|---:|---:|---:|")
print(f"| {int(rows):,} rows × {k['features']} columns ({mb} MB) | {k['seconds']:.2f} | {p['seconds']:.2f} | {p['seconds'] / k['seconds']:.2f}× | {kc:.2f} | {pc:.2f} |")
PY
