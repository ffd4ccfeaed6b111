"""The same handlers behind a plain WSGI app, as one would serve them under gunicorn without SageMaker's container.

MODEL_DIR holds model.joblib; the handlers are inference.py beside this file.
"""
import os

import inference

MODEL = inference.model_fn(os.environ["MODEL_DIR"])


def app(environ, start_response):
    if environ["PATH_INFO"] == "/ping":
        start_response("200 OK", [("Content-Length", "0")])
        return [b""]
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length).decode("utf-8")
    accept = environ.get("HTTP_ACCEPT") or "application/json"
    try:
        data = inference.input_fn(body, environ.get("CONTENT_TYPE", "application/json"))
        answer, content_type = inference.output_fn(inference.predict_fn(data, MODEL), accept)
        status, payload = "200 OK", answer.encode("utf-8")
    except Exception as e:  # noqa: BLE001 - the handler's error is the answer, as in SageMaker's containers
        status, payload, content_type = "500 Internal Server Error", str(e).encode("utf-8"), "text/plain"
    start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(payload)))])
    return [payload]
