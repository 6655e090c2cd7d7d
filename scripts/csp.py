#!/usr/bin/env python3
"""Trunk post-build hook: give release builds a Content-Security-Policy.

The policy allows nothing beyond the app's own files: scripts, styles, the worker, its wasm
and fetches from the same origin only, WebAssembly compilation, and the one inline module
script Trunk writes to start the app, allowed by its SHA-256 hash (computed here, because the
script names the build's hashed files). Inline `style` attributes are allowed: Yew sets them.
Debug builds (`trunk serve`) get no policy, so live reload keeps working.
"""
import base64
import hashlib
import os
import re
import sys

if os.environ.get("TRUNK_PROFILE") != "release":
    sys.exit(0)

path = os.path.join(os.environ["TRUNK_STAGING_DIR"], "index.html")
html = open(path, encoding="utf-8").read()
if "Content-Security-Policy" in html:
    sys.exit(0)

hashes = []
for attrs, body in re.findall(r"<script(?P<attrs>[^>]*)>(?P<body>.*?)</script>", html, flags=re.S):
    if "src=" not in attrs:
        digest = base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode()
        hashes.append(f"'sha256-{digest}'")

policy = "; ".join([
    "default-src 'self'",
    "script-src 'self' 'wasm-unsafe-eval' " + " ".join(hashes),
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "connect-src 'self'",
    "worker-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'none'",
])
meta = f'<meta http-equiv="Content-Security-Policy" content="{policy}" />'
html, n = re.subn(r"(<meta charset=\"utf-8\" />)", r"\1\n    " + meta.replace("\\", "\\\\"), html, count=1)
if n != 1:
    sys.exit("csp.py: no <meta charset> in index.html to put the policy after")
open(path, "w", encoding="utf-8").write(html)
print(f"csp.py: Content-Security-Policy added ({len(hashes)} inline script hash(es))")
