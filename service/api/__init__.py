"""The JSON API face: blueprints under /api and the OpenAPI document."""
