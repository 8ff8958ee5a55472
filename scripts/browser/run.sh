#!/usr/bin/env bash
# make test-browser: installs Chromium, its driver (Debian packages) and Selenium (PyPI) when missing,
# then runs the widget and vote-link checks and the dashboard checks in headless Chromium against the debug build.
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    echo "Installing chromium and chromium-driver..." >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
  else
    echo "chromium and chromedriver are needed: sudo apt-get install -y chromium chromium-driver" >&2
    exit 1
  fi
fi
python3 -c "import selenium" 2>/dev/null || python3 -m pip install -q "selenium>=4.10"
# axe-core for the dashboard's accessibility checks (the PyPI package bundles axe.min.js).
python3 -c "import axe_selenium_python" 2>/dev/null || python3 -m pip install -q axe-selenium-python
swift build --product hearken
python3 scripts/browser/widget_test.py
exec python3 scripts/browser/dashboard_test.py
