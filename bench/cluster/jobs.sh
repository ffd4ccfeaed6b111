#!/usr/bin/env bash
# Cluster benchmark, jobs: how many short built-in training jobs a minute Kiln finishes (a) embedded (one server,
# SQLite, local files), (b) in cluster mode with one worker and (c) with two workers. Cluster mode runs on a
# PostgreSQL and a moto S3 server this script starts itself on loopback; the server node has no job slots, so every
# job runs on a worker. Each case submits JOBS XGBoost jobs (breast cancer, 20 rounds) at once through boto3, after
# two warm-up jobs, and times until the last one ends. Every process shares this machine's cores.
# Usage: bash bench/cluster/jobs.sh   (JOBS=24, SLOTS=2 job slots per worker, CASES="embedded 1 2", KILN_DLL=…)
# Prints a Markdown table; JSON lines in bench/results/cluster-jobs.json.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
source bench/lib/servers.sh
jobs="${JOBS:-24}"
slots="${SLOTS:-2}"
cases="${CASES:-embedded 1 2}"
work="$(mktemp -d)"
chmod 755 "$work"
result="bench/results/cluster-jobs.json"
mkdir -p bench/results
: >"$result"

# KILN_DLL=path/to/kiln.dll skips the Release publish (a Debug build measures slower).
if [[ -n "${KILN_DLL:-}" ]]; then
  kiln=(dotnet "$KILN_DLL")
else
  dotnet publish src/Kiln.Cli -c Release -o .build/bench-cluster --nologo -v quiet -p:UseAppHost=false >&2
  kiln=(dotnet "$root/.build/bench-cluster/kiln.dll")
fi

# PostgreSQL of its own (initdb refuses root: then it runs as the postgres user), stopped on exit.
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[[ -n "$pg_bin" ]] || { echo "PostgreSQL's server binaries are not installed (apt-get install postgresql)" >&2; exit 1; }
pg_port=$(free_port)
mkdir "$work/pg"
as_pg() { if [[ $(id -u) == 0 ]]; then su postgres -c "$*"; else sh -c "$*"; fi; }
[[ $(id -u) == 0 ]] && chown postgres "$work/pg"
as_pg "$pg_bin/initdb -D $work/pg/data -A trust -U postgres" >"$work/initdb.log" 2>&1
as_pg "$pg_bin/pg_ctl -D $work/pg/data -w -l $work/pg/server.log -o \"-p $pg_port -k $work/pg -c listen_addresses=127.0.0.1\" start" >/dev/null
trap 'as_pg "$pg_bin/pg_ctl -D $work/pg/data -m immediate stop" >/dev/null 2>&1 || true; stop_servers' EXIT

# moto's S3 server (pyenv's python3 has it).
moto_port=$(free_port)
setsid python3 -m moto.server -H 127.0.0.1 -p "$moto_port" >"$work/moto.log" 2>&1 &
pids+=($!)
wait_for_server moto "http://127.0.0.1:$moto_port/" "${pids[-1]}" "$work/moto.log"
s3_endpoint="http://127.0.0.1:$moto_port"
export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench AWS_REGION=us-east-1
/usr/bin/python3 -c "import boto3; boto3.client('s3', endpoint_url='$s3_endpoint').create_bucket(Bucket='kiln-bench')"

# start <name> <args…>: a kiln process leading its own process group; its pid is appended to case_pids.
start() {
  local name="$1"; shift
  setsid "${kiln[@]}" "$@" >"$work/$name.log" 2>&1 &
  pids+=($!)
  case_pids+=($!)
}

live_nodes() { curl -fs "$1/api/kiln/cluster" | /usr/bin/python3 -c "import json,sys; print(sum(1 for n in json.load(sys.stdin)['nodes'] if n['live']))" 2>/dev/null || echo 0; }

for case in $cases; do
  case_pids=()
  port=$(free_port)
  server="http://127.0.0.1:$port"
  if [[ "$case" == embedded ]]; then
    label="embedded"
    start "$label-server" server --port "$port" --data-dir "$work/$label/server" --job-slots "$slots"
    wait_for_server "$label server" "$server/health" "${case_pids[0]}" "$work/$label-server.log"
  else
    label="workers-$case"
    database="kiln_bench_$case"
    as_pg "$pg_bin/createdb -h 127.0.0.1 -p $pg_port -U postgres $database"
    shared=(--store "postgres://postgres@127.0.0.1:$pg_port/$database" --artifacts "s3://kiln-bench/$label" --s3-endpoint "$s3_endpoint")
    start "$label-server" server --port "$port" --data-dir "$work/$label/server" --job-slots 0 "${shared[@]}"
    wait_for_server "$label server" "$server/health" "${case_pids[0]}" "$work/$label-server.log" 180
    for ((w = 1; w <= case; w++)); do
      start "$label-worker-$w" worker --data-dir "$work/$label/worker-$w" --job-slots "$slots" "${shared[@]}"
    done
    start_wait=$SECONDS
    until [[ $(live_nodes "$server") -ge $((case + 1)) ]]; do
      (( SECONDS - start_wait < 180 )) || { echo "$label: the workers did not join within 180 s" >&2; tail -n 20 "$work/$label-worker-1.log" >&2; exit 1; }
      sleep 0.5
    done
  fi
  echo "$label: $jobs jobs, load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
  /usr/bin/python3 bench/cluster/jobs.py "$server" "$jobs" "$label" "$result" >&2
  for pid in "${case_pids[@]}"; do kill -- "-$pid" 2>/dev/null || true; done
  for pid in "${case_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
done

echo "| case | job slots | jobs | wall time (s) | jobs per minute | median job (s) |"
echo "|---|---:|---:|---:|---:|---:|"
/usr/bin/python3 - "$result" "$slots" <<'PY'
import json, sys
slots = int(sys.argv[2])
for line in open(sys.argv[1]):
    r = json.loads(line)
    n = 1 if r["label"] == "embedded" else int(r["label"].split("-")[1])
    name = "embedded server" if r["label"] == "embedded" else f"server + {n} worker{'s' if n > 1 else ''}"
    print(f"| {name} | {n * slots} | {r['jobs']} | {r['seconds']} | {r['jobs_per_minute']} | {r['median_job_seconds']} |")
PY
