# Helpers the benchmark scripts source: a free loopback port, and waiting for a server that says why it did not
# come up (its exit code if it died, otherwise that it is still running) with the tail of its log.

free_port() { /usr/bin/python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])"; }

# Servers a script starts: their pids go into `pids`; on exit each is stopped (its process group where it leads
# one) and the script's `work` folder is removed.
pids=()
stop_servers() {
  for pid in "${pids[@]}"; do kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "${work:-}"
}
trap stop_servers EXIT

# report_exit <name> <pid> <log> <when>: a server exited; its exit code and the tail of its log.
report_exit() {
  local name="$1" pid="$2" log="$3" when="$4" code=0
  wait "$pid" || code=$?
  echo "$name (pid $pid) exited with code $code $when; last lines of $log:" >&2
  tail -n 30 "$log" >&2
}

# wait_for_server <name> <url> <pid> <log> [seconds]
wait_for_server() {
  local name="$1" url="$2" pid="$3" log="$4" limit="${5:-120}" start=$SECONDS
  while (( SECONDS - start < limit )); do
    if curl -fs -o /dev/null "$url"; then
      echo "$name answered $url after $(( SECONDS - start )) s" >&2
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      report_exit "$name" "$pid" "$log" "before answering $url"
      return 1
    fi
    sleep 0.2
  done
  echo "$name (pid $pid) is still running but did not answer $url within $limit s; last lines of $log:" >&2
  tail -n 30 "$log" >&2
  return 1
}

# address_from_log <name> <pid> <log> <sed expression printing the URL> [seconds]: for servers started on port 0;
# sets server_address. Called directly, not in $( ), so that `wait` can read the exit code of the server (a child).
address_from_log() {
  local name="$1" pid="$2" log="$3" expression="$4" limit="${5:-120}" start=$SECONDS
  server_address=""
  while (( SECONDS - start < limit )); do
    server_address=$(sed -n "$expression" "$log" 2>/dev/null | head -n 1)
    if [[ -n "$server_address" ]]; then return 0; fi
    if ! kill -0 "$pid" 2>/dev/null; then
      report_exit "$name" "$pid" "$log" "before it listened"
      return 1
    fi
    sleep 0.2
  done
  echo "$name (pid $pid) printed no listening address within $limit s; last lines of $log:" >&2
  tail -n 30 "$log" >&2
  return 1
}

# ASP.NET's default host watches its content root (the working directory) for appsettings changes; that costs an
# inotify instance per process (128 per user by default, shared with every other dotnet process on the machine)
# and recursive watches over whatever tree the script was started from. Benchmarked servers need none of it.
export DOTNET_hostBuilder__reloadConfigOnChange=false
