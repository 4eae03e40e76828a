"""Small vectorised PDE solvers (numpy): each advances a batch of trajectories at once."""
