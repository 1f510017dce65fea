"""Pure functions that build ``folium.Map`` objects from data (no database, no Flask)."""
