#!/usr/bin/env bash
# Lays out the SageMaker Python SDK (v2, tested with tag v2.230.0) so Debian's /usr/bin/python3 can import it without
# PyPI, for tests/clients/sagemaker-sdk/monitors.py and the KILN_SAGEMAKER_SDK xunit test.
#
#   tools/sagemaker-sdk/setup.sh SRC_DIR OUT_DIR
#
# SRC_DIR: a checkout (or `git archive` extract) of the public aws/sagemaker-python-sdk; only its src/ and VERSION
# are read. OUT_DIR gets:
#   OUT_DIR/sdk/        the SDK's src/ (package `sagemaker`) plus a minimal sagemaker-<version>.dist-info, because the
#                       SDK reads its own version with importlib.metadata
#   OUT_DIR/boto/       links to boto3/botocore/s3transfer/jmespath of the `python3` on PATH (pyenv's): Debian's are
#                       older than the SDK needs, so this folder goes first on PYTHONPATH
#   OUT_DIR/stubs/      an empty smdebug_rulesconfig package (imported by sagemaker.debugger at import time; the
#                       monitor and Clarify classes never call it)
#   OUT_DIR/pythonpath  the PYTHONPATH to run /usr/bin/python3 with
# The SDK's other dependencies come from Debian (apt-get install, as root or through sudo).
# Then: export KILN_SAGEMAKER_SDK=OUT_DIR
set -euo pipefail
usage="usage: tools/sagemaker-sdk/setup.sh SRC_DIR OUT_DIR"
src="$(cd "${1:?$usage}" && pwd)"
out="${2:?$usage}"
[ -d "$src/src/sagemaker" ] && [ -f "$src/VERSION" ] || { echo "$src has no src/sagemaker and VERSION: not a sagemaker-python-sdk checkout" >&2; exit 2; }
mkdir -p "$out"
out="$(cd "$out" && pwd)"

packages=(python3 python3-yaml python3-jsonschema python3-platformdirs python3-tblib python3-schema python3-omegaconf
  python3-dill python3-multiprocess python3-numpy python3-pandas python3-packaging python3-attr python3-protobuf
  python3-psutil python3-requests python3-tqdm python3-cloudpickle python3-importlib-metadata python3-urllib3
  python3-docker)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2> /dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then apt_get=(apt-get); else apt_get=(sudo apt-get); fi
  "${apt_get[@]}" install -y --no-install-recommends "${missing[@]}" >&2
fi

version="$(tr -d '[:space:]' < "$src/VERSION")"
rm -rf "$out/sdk"
cp -r "$src/src" "$out/sdk"
cp "$src/VERSION" "$out/sdk/VERSION"
mkdir -p "$out/sdk/sagemaker-$version.dist-info"
printf 'Metadata-Version: 2.1\nName: sagemaker\nVersion: %s\n' "$version" > "$out/sdk/sagemaker-$version.dist-info/METADATA"

rm -rf "$out/boto"
mkdir -p "$out/boto"
for module in boto3 botocore s3transfer jmespath; do
  location="$(python3 -c "import os, $module; print(os.path.dirname($module.__file__))")"
  ln -sfn "$location" "$out/boto/$module"
done

rm -rf "$out/stubs"
mkdir -p "$out/stubs/smdebug_rulesconfig"
cat > "$out/stubs/smdebug_rulesconfig/__init__.py" <<'PY'
"""Stand-in for smdebug_rulesconfig: sagemaker.debugger imports it; the monitor and Clarify classes never use it."""


def __getattr__(name):
    raise AttributeError(f"smdebug_rulesconfig stand-in has no {name}")
PY

pythonpath="$out/boto:$out/sdk:$out/stubs"
echo "$pythonpath" > "$out/pythonpath"
PYTHONPATH="$pythonpath" /usr/bin/python3 -c "import sagemaker, sagemaker.model_monitor, sagemaker.clarify; print('sagemaker', sagemaker.__version__, 'from', sagemaker.__file__)" >&2
echo "export KILN_SAGEMAKER_SDK=$out" >&2
