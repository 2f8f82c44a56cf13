"""Script hosts: the processes Server Scripts run in (zygote.py forks them, host.py is their life,
protocol.py their channel to the web worker; runtime/hosts.py keeps them for the worker)."""
