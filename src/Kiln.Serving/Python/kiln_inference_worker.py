"""Kiln's host for a framework model's inference script (SageMaker's inference-toolkit contract).

Kiln starts one of these per replica worker. It imports the user's module (SAGEMAKER_PROGRAM, found in
KILN_CODE_DIR), loads the model once with model_fn(model_dir), then answers requests until its input closes.
Missing handlers fall back to the scikit-learn container's defaults: input_fn decodes text/csv,
application/json and application/x-npy into numpy, predict_fn calls model.predict, output_fn encodes to the
Accept type; model_fn has no default. transform_fn may replace input_fn/predict_fn/output_fn.

Frames on the channel (the process's original stdout, kept private so that user prints go to stderr):
every field is a 4-byte big-endian length and its bytes.
  request:  content type, accept, body
  response: status (ASCII digits, 200 on success), content type, body
The first response, sent after the model loads, is the hello: status 200, or 500 with the error.
"""
import importlib
import inspect
import io
import json
import os
import struct
import sys
import traceback
import types

CSV, JSON, NPY, ANY = "text/csv", "application/json", "application/x-npy", "*/*"
UTF8_TYPES = (JSON, CSV)


class UnsupportedFormatError(Exception):
    def __init__(self, content_type):
        super().__init__("Content type %s is not supported by this framework." % content_type)
        self.content_type = content_type


class Response:
    """What the toolkits' output_fn may return instead of (body, content type)."""

    def __init__(self, response=None, accept=None, status=200, headers=None, mimetype=None, **_):
        self.response, self.status, self.mimetype = response, status, mimetype or accept


def decode(data, content_type):
    import numpy as np

    if content_type == NPY:
        return np.load(io.BytesIO(data), allow_pickle=True)
    if content_type == JSON:
        return np.array(json.loads(data))
    if content_type == CSV:
        import csv

        text = data.decode("utf-8") if isinstance(data, bytes) else data
        rows = list(csv.reader(io.StringIO(text), delimiter=",", quotechar='"', doublequote=True, strict=True))
        return np.array(rows).squeeze().astype(None)
    raise UnsupportedFormatError(content_type)


def encode(prediction, accept):
    import numpy as np

    if accept == JSON:
        return json.dumps(prediction, default=lambda o: o.tolist() if hasattr(o, "tolist") else str(o))
    if accept == CSV:
        import csv

        array = np.array(prediction)
        if array.ndim == 1:
            array = array.reshape(array.shape[0], 1)
        stream = io.StringIO()
        csv.writer(stream, lineterminator="\n", delimiter=",", quotechar='"', doublequote=True, strict=True).writerows(array)
        return stream.getvalue()
    if accept == NPY:
        buffer = io.BytesIO()
        np.save(buffer, prediction)
        return buffer.getvalue()
    raise UnsupportedFormatError(accept)


def default_model_fn(model_dir):
    raise NotImplementedError("Please provide a model_fn implementation. See documentation for model_fn at https://sagemaker.readthedocs.io/en/stable/")


def default_input_fn(data, content_type):
    import numpy as np

    array = decode(data, content_type)
    return array.astype(np.float32) if content_type in UTF8_TYPES else array


def default_predict_fn(data, model):
    return model.predict(data)


def default_output_fn(prediction, accept):
    return encode(prediction, accept), accept


def install_toolkit_modules():
    """Scripts written for SageMaker import the toolkits' encoders and Response; give them ours when those are not installed."""
    encoders = types.SimpleNamespace(encode=encode, decode=decode)
    content_types = types.SimpleNamespace(CSV=CSV, JSON=JSON, NPY=NPY, ANY=ANY, UTF8_TYPES=list(UTF8_TYPES))
    errors = types.SimpleNamespace(UnsupportedFormatError=UnsupportedFormatError, ClientError=Exception)
    worker = types.SimpleNamespace(Response=Response)
    modules = {
        "sagemaker_containers": {},
        "sagemaker_containers.beta": {},
        "sagemaker_containers.beta.framework": {"encoders": encoders, "content_types": content_types, "worker": worker, "errors": errors},
        "sagemaker_inference": {"content_types": content_types, "errors": errors,
                                "encoder": types.SimpleNamespace(encode=encode), "decoder": types.SimpleNamespace(decode=decode)},
    }
    for name, members in modules.items():
        try:
            importlib.import_module(name)
        except ImportError:
            module = types.ModuleType(name)
            module.__path__ = []
            module.__dict__.update(members)
            sys.modules[name] = module
    for name in ("encoders", "content_types", "worker", "errors"):
        sys.modules.setdefault("sagemaker_containers.beta.framework." + name, sys.modules["sagemaker_containers.beta.framework"].__dict__.get(name))
    for name in ("encoder", "decoder", "content_types", "errors"):
        member = sys.modules["sagemaker_inference"].__dict__.get(name)
        if member is not None:
            sys.modules.setdefault("sagemaker_inference." + name, member)


def call(function, *arguments):
    """The toolkit passes a context as an extra last argument to handlers that take one; Kiln has none to give."""
    try:
        count = len(inspect.signature(function).parameters)
    except (TypeError, ValueError):
        count = len(arguments)
    return function(*arguments, None) if count == len(arguments) + 1 else function(*arguments)


class Handlers:
    def __init__(self, module):
        self.model_fn = getattr(module, "model_fn", default_model_fn) if module else default_model_fn
        self.transform_fn = getattr(module, "transform_fn", None) if module else None
        custom = [getattr(module, name, None) for name in ("input_fn", "predict_fn", "output_fn")] if module else [None] * 3
        if self.transform_fn and any(custom):
            raise ValueError("Cannot use transform_fn implementation with input_fn, predict_fn, and/or output_fn")
        self.input_fn = custom[0] or default_input_fn
        self.predict_fn = custom[1] or default_predict_fn
        self.output_fn = custom[2] or default_output_fn

    def transform(self, model, content, content_type, accept):
        if self.transform_fn:
            return call(self.transform_fn, model, content, content_type, accept)
        try:
            data = call(self.input_fn, content, content_type)
        except UnsupportedFormatError as e:
            return Response(error_body(e), status=415, mimetype=JSON)
        prediction = call(self.predict_fn, data, model)
        try:
            return call(self.output_fn, prediction, accept)
        except UnsupportedFormatError as e:
            return Response(error_body(e), status=406, mimetype=JSON)


def error_body(error):
    return json.dumps({"error": error.__class__.__name__, "error-message": str(error), "stack-trace": traceback.format_exc()})


def as_bytes(body):
    if body is None:
        return b""
    if isinstance(body, (bytes, bytearray, memoryview)):
        return bytes(body)
    if isinstance(body, str):
        return body.encode("utf-8")
    if isinstance(body, (list, tuple)) and all(isinstance(part, (bytes, str)) for part in body):
        return b"".join(as_bytes(part) for part in body)
    return json.dumps(body, default=lambda o: o.tolist() if hasattr(o, "tolist") else str(o)).encode("utf-8")


def answer(result, accept):
    """(status, content type, body) from what transform returned: a (body, content type) tuple, a Response, or a body."""
    if isinstance(result, tuple) and len(result) == 2:
        return 200, result[1] or accept, as_bytes(result[0])
    if isinstance(result, Response) or (hasattr(result, "status_code") and hasattr(result, "get_data")):
        if isinstance(result, Response):
            return int(result.status), result.mimetype or accept, as_bytes(result.response)
        return int(result.status_code), result.mimetype or accept, result.get_data()
    return 200, accept, as_bytes(result)


class Channel:
    def __init__(self, read_fd, write_fd):
        self.read_fd, self.write = read_fd, os.fdopen(write_fd, "wb", buffering=0)

    def read_exactly(self, count):
        chunks, remaining = [], count
        while remaining:
            chunk = os.read(self.read_fd, remaining)
            if not chunk:
                return None
            chunks.append(chunk)
            remaining -= len(chunk)
        return b"".join(chunks)

    def read_fields(self, count):
        fields = []
        for _ in range(count):
            header = self.read_exactly(4)
            if header is None:
                return None
            (length,) = struct.unpack(">I", header)
            value = self.read_exactly(length) if length else b""
            if value is None:
                return None
            fields.append(value)
        return fields

    def send(self, status, content_type, body):
        parts = [str(status).encode(), (content_type or "").encode("utf-8"), body]
        self.write.write(b"".join(struct.pack(">I", len(part)) + part for part in parts))


def main():
    # The channel is the original stdout; whatever the user's code prints goes to stderr, which Kiln logs.
    channel = Channel(0, os.dup(1))
    os.dup2(2, 1)
    sys.stdout = sys.stderr

    model_dir = os.environ["KILN_MODEL_DIR"]
    code_dir = os.environ.get("KILN_CODE_DIR") or ""
    program = os.environ.get("SAGEMAKER_PROGRAM") or ""
    default_accept = os.environ.get("SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT") or JSON
    install_toolkit_modules()
    try:
        module = None
        if program:
            module_name = program[:-3] if program.endswith(".py") else program
            if code_dir:
                sys.path.insert(0, code_dir)
            module = importlib.import_module(module_name)
        handlers = Handlers(module)
        model = call(handlers.model_fn, model_dir)
    except BaseException as e:  # noqa: B902 - any failure to load is reported to Kiln, then the worker ends
        channel.send(500, "text/plain", ("%s: %s\n%s" % (type(e).__name__, e, traceback.format_exc())).encode("utf-8"))
        return 1
    channel.send(200, "", b"")

    while True:
        fields = channel.read_fields(3)
        if fields is None:
            return 0
        content_type = fields[0].decode("utf-8") or JSON
        accept = fields[1].decode("utf-8")
        if not accept or accept == ANY:
            accept = default_accept
        content = fields[2].decode("utf-8") if content_type in UTF8_TYPES else fields[2]
        try:
            status, response_type, body = answer(handlers.transform(model, content, content_type, accept), accept)
        except Exception as e:  # noqa: B902 - user code's errors are the model's 500, as the toolkit answers them
            trace = traceback.format_exc()
            sys.stderr.write(trace)
            status, response_type, body = 500, "text/plain", ("%s: %s\n%s" % (type(e).__name__, e, trace)).encode("utf-8")
        channel.send(status, response_type, body)


if __name__ == "__main__":
    sys.exit(main())
