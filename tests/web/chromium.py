"""How the browser tests and bench/browser_latency.py start Debian's chromium: headless, and with
every background connection off (the machine has no network; chromium would retry them)."""

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
