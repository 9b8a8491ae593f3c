"""Project-wide foundations (labels, …) that import nothing else from the project."""
