"""Serves a built Woodshed app on 127.0.0.1 with Python's standard http.server.

By default every response carries the headers that make the page cross-origin isolated
(COOP same-origin, COEP require-corp, CORP same-origin). --plain sends none of them, as a
static host would. --test-hooks FILE also serves FILE at /test-hooks.js (the browser tests' hooks,
tests/browser/test-hooks.js); without it that address is a 404, so a page opened with ?test has
no hooks.
"""

import argparse
import functools
import http.server
import os
import sys

# The app's Content-Security-Policy: no eval, no inline script, wasm compilation allowed. The
# same policy (less frame-ancestors, which a meta tag cannot carry) is in web/index.html for
# hosts that cannot send headers.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; connect-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; style-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; manifest-src 'self'; frame-ancestors 'self'"
)

ISOLATION_HEADERS = {
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Embedder-Policy": "require-corp",
    "Cross-Origin-Resource-Policy": "same-origin",
}


class Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".wasm": "application/wasm",
        ".js": "text/javascript",
        ".mjs": "text/javascript",
        ".webmanifest": "application/manifest+json",
        ".json": "application/json",
    }
    isolate = True
    test_hooks = None

    def translate_path(self, path):
        if self.test_hooks and path.split("?", 1)[0] == "/test-hooks.js":
            return self.test_hooks
        return super().translate_path(path)

    def end_headers(self):
        if self.isolate:
            for name, value in ISOLATION_HEADERS.items():
                self.send_header(name, value)
            self.send_header("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        # A development server: always revalidate, so a rebuild is seen on reload.
        self.send_header("Cache-Control", "no-cache")
        super().end_headers()

    def log_message(self, format, *args):
        if os.environ.get("WOODSHED_SERVE_QUIET") != "1":
            super().log_message(format, *args)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--plain", action="store_true", help="send no isolation headers")
    parser.add_argument("--dir", required=True, help="directory to serve")
    parser.add_argument("--test-hooks", help="serve this file at /test-hooks.js (browser tests only)")
    args = parser.parse_args()
    if not os.path.isfile(os.path.join(args.dir, "index.html")):
        sys.exit(f"[woodshed] error: no built app in {args.dir}; run tools/build first")
    handler = functools.partial(Handler, directory=args.dir)
    Handler.isolate = not args.plain
    Handler.test_hooks = os.path.abspath(args.test_hooks) if args.test_hooks else None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), handler)
    mode = "without isolation headers (--plain)" if args.plain else "cross-origin isolated"
    print(f"[woodshed] serving {args.dir} {mode} at http://127.0.0.1:{server.server_port}/", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
