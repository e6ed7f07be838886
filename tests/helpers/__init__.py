"""Helpers shared by the suite's feature directories: sessions (run_plugin, REPO_ROOT), fixtures
(a plugin module, registered in tests/conftest.py), the fake's raw-HTTP helpers, planted faults."""
