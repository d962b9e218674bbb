"""The web face of the archive (Flask). Built in the web UI issue; the library in `archive/`
does not depend on it."""
