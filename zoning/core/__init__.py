"""Text, errors, interface strings and access rules that every layer uses."""
