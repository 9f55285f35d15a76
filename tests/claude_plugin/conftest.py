"""The plugin's hook code lives inside the plugin folder (claude_plugin/hiloop_hooks), not in an
installed package: put that folder on sys.path for these tests."""

import sys
from pathlib import Path

PLUGIN_DIR = Path(__file__).resolve().parents[2] / "claude_plugin"
if str(PLUGIN_DIR) not in sys.path:
    sys.path.insert(0, str(PLUGIN_DIR))
