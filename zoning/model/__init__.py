"""The model: region codes and levels, metrics, rules, schemes, roll-up and privacy rules."""
