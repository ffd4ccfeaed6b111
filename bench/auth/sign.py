"""Prints the SigV4 headers botocore puts on one InvokeEndpoint-style POST (Authorization, X-Amz-Date), one per line as
`Name: value`. wrk replays them: a signature stays valid for 15 minutes and the server verifies it in full on every
request (canonical request, body hash, HMAC chain), so the replay costs the server what a fresh signature would.
Usage: sign.py URL ACCESS_KEY_ID SECRET BODY_FILE CONTENT_TYPE"""
import sys

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

url, key, secret, body_file, content_type = sys.argv[1:6]
with open(body_file, "rb") as f:
    body = f.read()
request = AWSRequest(method="POST", url=url, data=body, headers={"Content-Type": content_type})
SigV4Auth(Credentials(key, secret), "sagemaker", "us-east-1").add_auth(request)
for name in ("Authorization", "X-Amz-Date"):
    print(f"{name}: {request.headers[name]}")
