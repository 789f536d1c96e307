#!/usr/bin/env python3
"""Capture real Chromium SDP into sdp/tests/data/chromium/.

Runs headless Chromium (Debian package `chromium`) against a page served on
127.0.0.1 inside a network namespace that has only the loopback interface.
The page creates offers and answers with fake media devices and hands
Chromium the answers `sdp answer` (examples/src/bin/sdp.rs) writes, to see
whether `setRemoteDescription` accepts them.

Usage (as root, from the repository root, after `cargo build -p
sansrtc-examples --bin sdp`):

    unshare --net sh -c 'ip link set lo up && python3 sdp/tests/chromium/capture.py TARGET_DIR/debug/sdp'
"""

import http.server
import os
import pathlib
import subprocess
import sys
import tempfile
import threading

HERE = pathlib.Path(__file__).resolve().parent
OUT = HERE.parent / "data" / "chromium"
SDP_TOOL = sys.argv[1] if len(sys.argv) > 1 else "sdp"
done = threading.Event()


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def reply(self, body, kind="text/plain"):
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self.reply((HERE / "capture.html").read_text(), "text/html")

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        if self.path.startswith("/save?name="):
            name = os.path.basename(self.path.split("=", 1)[1])
            (OUT / name).write_bytes(body.encode())
            self.reply("saved")
        elif self.path == "/answer":
            answer = subprocess.run([SDP_TOOL, "answer", "-"], input=body.encode(), capture_output=True, check=True)
            self.reply(answer.stdout.decode())
        elif self.path == "/done":
            print(body)
            self.reply("bye")
            done.set()
        else:
            self.send_error(404)


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    with tempfile.TemporaryDirectory() as profile:
        browser = subprocess.Popen(
            [
                "chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
                "--allow-loopback-in-peer-connection", f"--user-data-dir={profile}", url,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            if not done.wait(120):
                sys.exit("Chromium did not finish within 120 s")
        finally:
            browser.terminate()
            browser.wait()
    server.shutdown()


if __name__ == "__main__":
    main()
