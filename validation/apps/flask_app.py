"""The Flask app of the fidelity harness, with flask_restful as in the original question.

Served by `python flask_app.py` (Flask's dev server, threaded), `waitress-serve flask_app:app`
or `gunicorn flask_app:app` (sync workers). Every response says which process and thread
served it. Durations come from common.py (1 s instead of the question's 10 s).
"""

import atexit
import os
import signal
import sys
import time

from flask import Flask
from flask_restful import Api, Resource

import common
from common import SLEEP_S, served

app = Flask(__name__)
api = Api(app)


class Sleep(Resource):
    def get(self):
        t0 = time.time()
        print(f"Sleeping for {SLEEP_S:g}", flush=True)
        time.sleep(SLEEP_S)
        print("Awake", flush=True)
        return served(t0)


api.add_resource(Sleep, "/sleep")


@app.route("/warmup")
def warmup():
    common.warmed_up()
    return {"ok": True}


@app.route("/hello")
def hello():
    """Hello world: calibration and the ApacheBench runs."""
    return served()


atexit.register(common.dump_counts)
common.trace_close_linger()
if os.environ.get("LOOPSIM_SIGTERM_EXIT"):
    # The harness stops the dev server and waitress with SIGTERM: end through sys.exit so that
    # atexit handlers run. (Not under gunicorn: its workers handle SIGTERM themselves.)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
common.mark_ready()

if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(os.environ.get("PORT", "5000")), threaded=True)
