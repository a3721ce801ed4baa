"""Helpers shared by the test modules: `servers` (the one launcher of daphne, the
browser tests' demo server, a private redis-server), `waiting` (`wait_until`),
`browser` (pages, the console and sockets for tests/e2e/), `wsclient` (a chat client
over real sockets), `celeryworker` and `flaky_mail`."""
