#!/usr/bin/env bash
# A framework model (scikit-learn handlers: model_fn, input_fn, predict_fn, output_fn) served two ways on the
# same machine, same model, same single CSV row, same load generator (wrk, 2 threads, CONNECTIONS connections):
# a Kiln endpoint with 2 replicas (2 warm Python workers behind Kiln's runtime) and gunicorn with 2 sync workers
# running a plain WSGI app that calls the same handlers. Warm-up, then three interleaved runs per server; the
# medians of requests/s, p50 and p99 are printed as a Markdown table with the Kiln ÷ gunicorn ratio.
# Needs: wrk, gunicorn, python3-sklearn, python3-pandas (apt), boto3 for python3.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
here="$root/bench/hosting/framework"
seconds="${SECONDS_PER_RUN:-8}"
connections="${CONNECTIONS:-16}"
work="$(mktemp -d)"
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

free_port() { /usr/bin/python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])"; }
wait_for() { for _ in $(seq 1 600); do curl -fs "$1" >/dev/null 2>&1 && return 0; sleep 0.1; done; echo "no answer from $1" >&2; return 1; }

/usr/bin/python3 "$here/train.py" "$root/samples/data/breast_cancer.csv" "$work"
dotnet publish "$root/src/Kiln.Cli" -c Release -o "$work/kiln" --nologo -v quiet -p:PublishReadyToRun=true -r linux-x64 --self-contained false >&2

kiln_port=$(free_port)
dotnet "$work/kiln/kiln.dll" server --port "$kiln_port" --data-dir "$work/kiln-data" >"$work/kiln.log" 2>&1 &
pids+=($!)
wait_for "http://127.0.0.1:$kiln_port/health"
python3 "$here/deploy.py" "http://127.0.0.1:$kiln_port" "$work/model.tar.gz" bench-sklearn 2

# One math thread per worker on both sides (Kiln's workers default to it).
gunicorn_port=$(free_port)
OMP_NUM_THREADS=1 MODEL_DIR="$work/model" gunicorn --chdir "$here" -w 2 -b "127.0.0.1:$gunicorn_port" --log-level warning wsgi_app:app >"$work/gunicorn.log" 2>&1 &
pids+=($!)
wait_for "http://127.0.0.1:$gunicorn_port/ping"

declare -A url
url[kiln]="http://127.0.0.1:$kiln_port/endpoints/bench-sklearn/invocations"
url[gunicorn]="http://127.0.0.1:$gunicorn_port/invocations"
for name in kiln gunicorn; do
  curl -fs -H 'Content-Type: text/csv' -H 'Accept: text/csv' --data-binary @"$work/row.csv" "${url[$name]}" >"$work/$name.answer"
done
cmp -s "$work/kiln.answer" "$work/gunicorn.answer" || { echo "the servers answer differently" >&2; exit 1; }

# wrk's summary: requests/second, p50 and p99 latency in milliseconds, non-2xx answers.
measure() { # url seconds
  ROW_FILE="$work/row.csv" wrk -t2 -c"$connections" -d"$2"s --latency -s "$here/post.lua" "$1" >"$work/wrk.txt"
  /usr/bin/python3 - "$work/wrk.txt" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
ms = lambda v, u: float(v) * {"us": 0.001, "ms": 1, "s": 1000}[u]
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
p50 = ms(*re.search(r"50%\s+([\d.]+)(us|ms|s)", text).groups())
p99 = ms(*re.search(r"99%\s+([\d.]+)(us|ms|s)", text).groups())
errors = int(m.group(1)) if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", text)) else 0
print(f"{rps:.0f} {p50:.2f} {p99:.2f} {errors}")
PY
}
median() { printf '%s\n' "$@" | sort -g | sed -n 2p; }

declare -A runs p50s p99s errors
for name in kiln gunicorn; do
  measure "${url[$name]}" 5 >/dev/null
  runs[$name]=""; p50s[$name]=""; p99s[$name]=""; errors[$name]=0
done
for _ in 1 2 3; do
  for name in kiln gunicorn; do
    read -r rps p50 p99 err < <(measure "${url[$name]}" "$seconds")
    runs[$name]+="$rps "; p50s[$name]+="$p50 "; p99s[$name]+="$p99 "; errors[$name]=$(( ${errors[$name]} + err ))
  done
done

echo "| server ($connections connections) | requests/s | p50 (ms) | p99 (ms) | non-2xx | runs (requests/s) |"
echo "|---|---:|---:|---:|---:|---|"
for name in kiln gunicorn; do
  label=$(case $name in kiln) echo "Kiln endpoint, 2 replicas (Python workers)";; gunicorn) echo "gunicorn, 2 sync workers, same handlers";; esac)
  echo "| $label | $(median ${runs[$name]}) | $(median ${p50s[$name]}) | $(median ${p99s[$name]}) | ${errors[$name]} | ${runs[$name]% } |"
done
/usr/bin/python3 -c "import sys; k, g = map(float, sys.argv[1:]); print(f'\nKiln ÷ gunicorn: {k / g:.2f}×')" "$(median ${runs[kiln]})" "$(median ${runs[gunicorn]})"
