# MLflow 2.17 run from its sources with Debian's python3, as ../shared/peers/mlflow/setup.sh installs it (PyPI is
# not reachable). MLFLOW_SRC / MLFLOW_DEPS point at an installed copy (setup.sh's /tmp paths by default); when it
# does not import, `setup.sh install` is run (it needs MLFLOW_GIT_DIR and OTEL_GIT_DIR, see that script).
# Needs $root (the repository root) set by the caller.
MLFLOW_SRC="${MLFLOW_SRC:-/tmp/mlflow-src}"
MLFLOW_DEPS="${MLFLOW_DEPS:-/tmp/mlflow-pydeps}"
MLFLOW_SETUP="${MLFLOW_SETUP:-$root/../shared/peers/mlflow/setup.sh}"

mlflow_python() { PYTHONPATH="$MLFLOW_SRC:$MLFLOW_DEPS" /usr/bin/python3 "$@"; }

ensure_mlflow() {
  if mlflow_python -c "import mlflow.server, mlflow.pyfunc.scoring_server" 2>/dev/null; then return 0; fi
  if [[ ! -f "$MLFLOW_SETUP" ]]; then
    echo "MLflow does not import from $MLFLOW_SRC:$MLFLOW_DEPS and there is no $MLFLOW_SETUP to install it;" \
      "set MLFLOW_SRC/MLFLOW_DEPS to an installed copy or MLFLOW_SETUP to setup.sh" >&2
    return 1
  fi
  bash "$MLFLOW_SETUP" install >&2
  MLFLOW_SRC=/tmp/mlflow-src MLFLOW_DEPS=/tmp/mlflow-pydeps
  mlflow_python -c "import mlflow; print('MLflow', mlflow.__version__, 'from', mlflow.__file__)" >&2
}
