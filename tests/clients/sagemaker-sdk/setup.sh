#!/usr/bin/env bash
# Lays out the SageMaker Python SDK for monitor_sdk.py without PyPI: the SDK's own source (a checkout of the public
# aws/sagemaker-python-sdk at tag v2.230.0, given as the argument), Debian's python3 with the SDK's dependencies from
# apt, boto3/botocore linked in from the python3 on PATH, and a stub for smdebug_rulesconfig (imported by the SDK's
# debugger module, never called by the monitor classes). Prints the PYTHONPATH to export as
# KILN_SAGEMAKER_SDK_PYTHONPATH.
#
#   tests/clients/sagemaker-sdk/setup.sh /path/to/sagemaker-python-sdk     [target folder, default /tmp]
set -euo pipefail
source_dir="$(cd "${1:?usage: setup.sh <sagemaker-python-sdk checkout at v2.230.0> [target folder]}" && pwd)"
target="${2:-/tmp}"

if [ "$(id -u)" = 0 ]; then apt_get="apt-get"; else apt_get="sudo apt-get"; fi
$apt_get install -y --no-install-recommends python3 python3-yaml python3-jsonschema python3-platformdirs python3-tblib \
  python3-schema python3-omegaconf python3-dill python3-multiprocess python3-numpy python3-pandas python3-packaging \
  python3-attr python3-protobuf python3-psutil python3-requests python3-tqdm python3-cloudpickle \
  python3-importlib-metadata python3-urllib3 python3-docker >&2

# The SDK's source tree as a package folder: src/sagemaker plus the VERSION file it reads at import.
mkdir -p "$target/sagemaker-sdk"
rm -rf "$target/sagemaker-sdk/src"
cp -r "$source_dir/src" "$target/sagemaker-sdk/src"
cp "$source_dir/VERSION" "$target/sagemaker-sdk/VERSION"
# The SDK reads its own version from the installed distribution's metadata: a minimal dist-info stands in for pip's.
version="$(tr -d '[:space:]' < "$source_dir/VERSION")"
mkdir -p "$target/sagemaker-sdk/src/sagemaker-$version.dist-info"
printf 'Metadata-Version: 2.1\nName: sagemaker\nVersion: %s\n' "$version" > "$target/sagemaker-sdk/src/sagemaker-$version.dist-info/METADATA"

# boto3 and friends from the python3 on PATH (the one the boto3 client tests use): Debian's are older than the SDK wants.
mkdir -p "$target/sdk-boto"
for module in boto3 botocore jmespath s3transfer; do
  location="$(python3 -c "import os, $module; print(os.path.dirname($module.__file__))")"
  ln -sfn "$location" "$target/sdk-boto/$module"
done

# smdebug_rulesconfig is only imported (sagemaker.debugger); an empty package with the names it imports is enough.
mkdir -p "$target/sdk-stubs/smdebug_rulesconfig"
cat > "$target/sdk-stubs/smdebug_rulesconfig/__init__.py" <<'PY'
"""Stub: the SDK imports smdebug_rulesconfig at import time; the monitor classes never call it."""


def __getattr__(name):
    raise AttributeError(f"smdebug_rulesconfig stub: {name} is not available")
PY

pythonpath="$target/sdk-boto:$target/sagemaker-sdk/src:$target/sdk-stubs"
PYTHONPATH="$pythonpath" /usr/bin/python3 -c "import sagemaker, sagemaker.model_monitor, sagemaker.clarify; print('sagemaker', sagemaker.__version__)" >&2
echo "$pythonpath"
