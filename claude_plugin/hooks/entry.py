"""The plugin's Python entry point: `scripts/hiloop-hook <command>` runs this file.

It puts the plugin folder on sys.path and calls hiloop_hooks.main.main(argv). Everything a hook runs
here is the standard library; only the daemon imports hiloop.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from hiloop_hooks.main import main  # noqa: E402

if __name__ == "__main__":
    code = main(sys.argv[1:])
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)  # a hook's answer is out: skip the interpreter's teardown, Claude Code is waiting
