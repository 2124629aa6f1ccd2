"""Rollup maintenance: recompute a (merchant, day) from the source rows, the dirty-day queue the
receivers fill and beat folds, and rebuilds of any range."""
