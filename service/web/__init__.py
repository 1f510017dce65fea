"""The web face: app factory, pages, sign-in, templates and static files."""
