"""Rendering: labels, charts, the map payload, maps and exports."""
