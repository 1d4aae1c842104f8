"""Independent OAuth 2.0 servers from PyPI, judged by the suite's rfc6749 profile."""
