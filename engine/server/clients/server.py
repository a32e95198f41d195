"""Starting and stopping a `rein serve` for the client tests."""

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
REIN = os.environ.get("REIN_BIN", os.path.join(ROOT, "target", "release", "rein"))


class Server:
    """A `rein serve` on a free loopback port, its log kept in memory."""

    def __init__(self, *flags):
        self.process = subprocess.Popen(
            [REIN, "serve", "--port", "0", *flags],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.log = []
        self.address = None
        ready = threading.Event()

        def read():
            for line in self.process.stderr:
                self.log.append(line.rstrip("\n"))
                try:
                    event = json.loads(line)
                except ValueError:
                    continue
                if event.get("event") == "listening":
                    self.address = event["address"]
                    ready.set()
            ready.set()

        threading.Thread(target=read, daemon=True).start()
        if not ready.wait(600) or self.address is None:
            self.stop()
            sys.exit("rein serve did not start:\n" + "\n".join(self.log[-20:]))
        self.base_url = self.address + "/v1"

    def raw(self, method, path, body=None, headers=None):
        """Sends a request; returns (status, parsed JSON or text)."""
        data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
        request = urllib.request.Request(self.address + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        for key, value in (headers or {}).items():
            request.add_header(key, value)
        try:
            with urllib.request.urlopen(request, timeout=600) as response:
                status, text = response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            status, text = error.code, error.read().decode()
        try:
            return status, json.loads(text)
        except ValueError:
            return status, text

    def alive(self):
        return self.process.poll() is None

    def terminate(self):
        self.process.send_signal(signal.SIGTERM)

    def wait(self, timeout=600):
        return self.process.wait(timeout)

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class Checks:
    """Named checks; every failure is reported, the exit code says if any."""

    def __init__(self):
        self.failures = []
        self.count = 0

    def run(self, name, function):
        self.count += 1
        start = time.time()
        try:
            function()
        except Exception as error:  # a failed check, whatever it raised
            self.failures.append(name)
            print(f"FAIL {name}: {type(error).__name__}: {error}", flush=True)
            return
        print(f"ok   {name} ({time.time() - start:.1f} s)", flush=True)

    def finish(self):
        print(f"{self.count - len(self.failures)}/{self.count} checks passed", flush=True)
        if self.failures:
            sys.exit(1)
