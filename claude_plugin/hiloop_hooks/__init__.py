"""The Hiloop plugin for Claude Code: hook logic (standard library only) and the local daemon.

    scripts/hiloop-stream     streaming hooks (shell): spool the event, deliver a waiting instruction
    scripts/hiloop-hook       runs hooks/entry.py with a Python that has hiloop: main(argv)
    hiloop_hooks/
      config.py           where the plugin keeps its state; settings from the environment
      events.py           a hook input -> the tool_event a person sees (pure)
      permission.py       a PermissionRequest -> a permission_request message; an answer -> the decision (pure)
      questions.py        AskUserQuestion -> a qa form; answers -> the tool's input (pure)
      elicitation.py      an MCP elicitation -> a qa form; answers -> its content (pure)
      inbox.py            instructions from the app, delivered once each (files)
      spool.py            events waiting to be sent (files)
      ipc.py              the hooks' line of JSON to the daemon over a Unix socket
      main.py             the commands hooks.json runs
      daemon.py           the long-lived process: the only code that imports hiloop
"""
