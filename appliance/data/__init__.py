"""Data shipped inside the package: the intent classifier's training examples."""
